// Package version holds hiis's own version, written into every manifest and
// checked against the range a run config was made for.
package version

import "runtime/debug"

// Version is the release of hiis. Bump it with every release; auditors'
// configs pin a range of it.
const Version = "0.1.0"

// Revision is the source revision the binary was built from, when the build
// recorded one (go build with VCS stamping), else "unknown". Set it at link
// time with -ldflags "-X hiis/pipeline/version.Revision=<sha>" to override.
var Revision = ""

func init() {
	if Revision != "" {
		return
	}
	Revision = "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				Revision = s.Value
			}
		}
	}
}
