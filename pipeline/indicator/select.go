package indicator

import (
	"fmt"

	"hiis/pipeline/config"
	"hiis/pipeline/diag"
	"hiis/pipeline/source"
)

// Select returns the indicators the run switches on, in catalogue order, after
// checking each against the run's sources. Unknown ids in the selection and
// indicators whose source is missing are reported together.
func Select(run *config.Run, all []*Indicator) ([]*Indicator, error) {
	var l diag.List
	byID := map[string]*Indicator{}
	for _, ind := range all {
		byID[ind.ID] = ind
	}
	sel := run.Indicators
	on := map[string]bool{}
	for _, ind := range all {
		on[ind.ID] = ind.OnByDefault() || sel.Optional
	}
	set := func(key string, ids []string, v bool) {
		for i, id := range ids {
			if byID[id] == nil {
				l.Add(run.Pos.Of(fmt.Sprintf("indicators.%s[%d]", key, i)), "indicators.%s: no indicator %q in %s", key, id, sel.Dir)
				continue
			}
			on[id] = v
		}
	}
	if sel.Only != nil {
		for id := range on {
			on[id] = false
		}
		set("only", sel.Only, true)
	}
	set("enable", sel.Enable, true)
	set("disable", sel.Disable, false)

	var out []*Indicator
	for _, ind := range all {
		if !on[ind.ID] {
			continue
		}
		checkSources(run, ind, &l)
		out = append(out, ind)
	}
	if len(out) == 0 && len(l) == 0 {
		l.Add(run.Pos.Of("indicators"), "indicators: the selection switches every indicator off")
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	Sort(out)
	return out, nil
}

func checkSources(run *config.Run, ind *Indicator, l *diag.List) {
	src, ok := run.Sources[ind.Source]
	if !ok {
		l.Add(ind.Pos.Of("source"), "%s: source %q is not configured in %s (configured: %v)", ind.ID, ind.Source, run.File, run.SourceNames())
		return
	}
	kind, err := source.Lookup(src.Kind)
	if err != nil {
		return // reported by the config check
	}
	if kind.Level == source.Population {
		l.Add(ind.Pos.Of("source"), "%s: source %q is a population; name the event source here and the population under population.source", ind.ID, ind.Source)
	}
	if kind.Level == source.Aggregate && ind.Population != nil {
		l.Add(ind.Pos.Of("population"), "%s: source %q is aggregate, so its denominator comes from the source, not a population", ind.ID, ind.Source)
	}
	if kind.Level == source.Aggregate && ind.Measure == DSR {
		l.Add(ind.Pos.Of("measure"), "%s: a dsr needs a record-level source, and %q is aggregate", ind.ID, ind.Source)
	}
	if p := ind.Population; p != nil {
		ps, ok := run.Sources[p.Source]
		if !ok {
			l.Add(ind.Pos.Of("population.source"), "%s: population source %q is not configured in %s", ind.ID, p.Source, run.File)
		} else if k, err := source.Lookup(ps.Kind); err == nil && k.Level != source.Population {
			l.Add(ind.Pos.Of("population.source"), "%s: population source %q is of kind %q, not population", ind.ID, p.Source, ps.Kind)
		}
	}
}
