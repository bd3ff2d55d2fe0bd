package pipeline

import "hiis/pipeline/manifest"

// SetWriteManifest replaces how a run writes its manifest.json (to fill the
// disk in a test) and returns a function that restores it.
func SetWriteManifest(f func(m *manifest.Manifest, dir string) error) (restore func()) {
	old := writeManifest
	writeManifest = f
	return func() { writeManifest = old }
}

// CheckOutput is checkOutput: the refusal of an output folder hiis did
// not make.
var CheckOutput = checkOutput
