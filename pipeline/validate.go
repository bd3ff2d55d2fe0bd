package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"hiis/pipeline/config"
	"hiis/pipeline/diag"
	"hiis/pipeline/indicator"
	"hiis/pipeline/render"
	"hiis/pipeline/source"
	"hiis/pipeline/transform"
)

// Validate checks a loaded config without running anything: the indicator
// definitions and selection, source kinds and column mappings, that every
// file named exists, and that every indicator's SQL binds against the
// sources' columns. All problems come back at once as a *diag.Error.
func Validate(ctx context.Context, cfg *config.Run) ([]*indicator.Indicator, error) {
	var l diag.List
	keep := func(err error) bool {
		var de *diag.Error
		if errors.As(err, &de) {
			l = append(l, de.List...)
			return true
		}
		return false
	}
	inds, err := LoadIndicators(cfg)
	if err != nil && !keep(err) {
		return nil, err
	}
	if p, err := cfg.Resolve(cfg.Reference.IMD.Path); err == nil {
		if _, err := os.Stat(p); err != nil {
			l.Add(cfg.Pos.Of("reference.imd.path"), "reference.imd.path: %v", err)
		}
	}
	var snaps []transform.Snapshot
	for _, name := range cfg.SourceNames() {
		s := cfg.Sources[name]
		if p, err := cfg.Resolve(s.Path); err == nil && cfg.Snapshots[name] == nil {
			if _, err := os.Stat(p); err != nil {
				l.Add(cfg.Pos.Of("sources."+name+".path"), "sources.%s.path: %v", name, err)
			}
		}
		if k, err := source.Lookup(s.Kind); err == nil {
			snaps = append(snaps, transform.Snapshot{Name: name, Kind: k})
		}
	}
	if dir, err := cfg.TemplatesDir(); err == nil {
		if err := render.CheckTemplates(filepath.Join(dir, "statement")); err != nil {
			l.Add(cfg.Pos.Of("templates"), "templates: %v", err)
		}
	}
	if _, key, err := policyOf(cfg); err != nil {
		l.Add(cfg.Pos.Of(key), "%s: %v", key, err)
	}
	macros, err := ReadMacros(cfg)
	if err != nil {
		l.Add(cfg.Pos.Of("templates"), "%v", err)
	} else if inds != nil {
		sqlProblems, err := transform.Check(ctx, inds, snaps, transform.Period{Start: cfg.Period.Start, End: cfg.Period.End}, macros)
		if err != nil {
			return nil, err
		}
		l = append(l, sqlProblems...)
	}
	return inds, l.Err()
}
