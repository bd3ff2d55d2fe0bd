# hiis: build with cgo (DuckDB), run on a slim Debian with libstdc++.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY pipeline ./pipeline
ENV CGO_ENABLED=1
# The source revision goes into every manifest: docker build --build-arg REVISION=$(git rev-parse HEAD) .
ARG REVISION=unknown
RUN go build -trimpath -ldflags "-X hiis/pipeline/version.Revision=${REVISION}" -o /out/hiis ./pipeline/cmd/hiis

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libstdc++6 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/hiis /usr/local/bin/hiis
# Indicator definitions, templates and the fixture run, so that
# `docker run IMAGE run` works out of the box; mount your own at /work.
WORKDIR /opt/hiis
COPY indicators ./indicators
COPY templates ./templates
COPY config ./config
COPY fixtures ./fixtures
USER 65534:65534
ENTRYPOINT ["hiis"]
CMD ["run", "--out", "/tmp/hiis/out", "--work", "/tmp/hiis/work"]
