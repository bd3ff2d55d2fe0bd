package render

// Provenance is what a run's outputs were made from, for the data pack's
// README sheet: the sha256 of the config and of each input. Names are file
// names only (never a full path), and each entry must read the same when the
// run is re-run from its bundle, so that `hiis verify` reproduces the data
// pack byte for byte. The data pack's own hash is in the manifest, not here:
// a file cannot hold its own hash.
type Provenance struct {
	// Config is the run config as the user wrote it (for a re-run from a
	// bundle, the config the bundle was pinned from).
	Config HashedFile
	// Inputs are the extracts, reference files, indicator definitions and
	// SQL templates, in the order the manifest lists them.
	Inputs []HashedFile
}

// HashedFile is one file the run read.
type HashedFile struct {
	Role   string // what it is: "config", "source wlmds", "reference imd", "indicator ER-1a" ...
	Name   string // file name, no folders; "" when it has none to show
	SHA256 string // lower-case hex
}
