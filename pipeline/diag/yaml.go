package diag

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse reads a YAML document and returns its root mapping node. A syntax
// error is reported at its line.
func Parse(file string, data []byte, l *List) *yaml.Node {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		line := 0
		msg := err.Error()
		if _, scanErr := fmt.Sscanf(msg, "yaml: line %d:", &line); scanErr == nil {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		if msg == "EOF" {
			msg, line = "file is empty", 1
		}
		if line == 0 {
			line = errorLine(data, err.Error())
		}
		l.Add(Pos{File: file, Line: line}, "%s", msg)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.Add(Pos{File: file, Line: 1, Col: 1}, "expected a mapping of keys to values at the top level")
		return nil
	}
	return doc.Content[0]
}

// errorLine finds the line of a YAML error that yaml.v3 reports without
// one (some scanner errors, such as a tab where indentation is expected):
// the first line at which a prefix of data fails with the same message,
// found by bisection; 1 if none does.
func errorLine(data []byte, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(n int) bool {
		var doc yaml.Node
		err := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines[:n], nil))).Decode(&doc)
		return err != nil && err.Error() == msg
	}
	lo, hi := 1, len(lines)
	if hi == 0 || !fails(hi) {
		return 1
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// At returns the position of a node in file.
func At(file string, n *yaml.Node) Pos { return Pos{File: file, Line: n.Line, Col: n.Column} }

// Decode fills the struct pointed to by out from a mapping node, reporting
// every unknown key, missing required field and wrongly typed value in l.
// Struct fields use `yaml:"name"` tags; a `hiis:"required"` tag makes a field
// required. Fields of type yaml.Node receive the raw node; fields of type
// diag.Pos receive the position of the key when the field name is Pos.
// Nested structs, slices and maps of them are decoded the same way.
//
// Decode returns the position of every decoded value by its dotted key path
// ("period.start", "sources.apc.path", "breakdowns[1]"), for later checks.
func Decode(file string, n *yaml.Node, out any, l *List) Positions {
	d := decoder{file: file, l: l, pos: Positions{"": At(file, n)}}
	d.value(n, reflect.ValueOf(out).Elem(), "")
	return d.pos
}

// Positions maps dotted key paths to where their values stand.
type Positions map[string]Pos

// Of returns the position of path, or of its nearest parent that has one.
func (p Positions) Of(path string) Pos {
	for {
		if pos, ok := p[path]; ok {
			return pos
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return p[""]
		}
		path = path[:i]
	}
}

type decoder struct {
	file string
	l    *List
	pos  Positions
}

var (
	nodeType = reflect.TypeOf(yaml.Node{})
	posType  = reflect.TypeOf(Pos{})
)

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	file, l := d.file, d.l
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		d.pos[path] = At(file, n)
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			l.Add(At(file, n), "%s: expected a mapping, found %s", name(path), kindName(n))
			return
		}
		d.structure(n, v, path)
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return // null leaves an optional value unset, not its zero value
		}
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), path)
		v.Set(p)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			l.Add(At(file, n), "%s: expected a list, found %s", name(path), kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.value(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			l.Add(At(file, n), "%s: expected a mapping, found %s", name(path), kindName(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := reflect.New(v.Type().Key()).Elem()
			if err := k.Decode(key.Addr().Interface()); err != nil {
				l.Add(At(file, k), "%s: key %q: expected %s", name(path), k.Value, typeName(key.Type()))
				continue
			}
			if m.MapIndex(key).IsValid() {
				l.Add(At(file, k), "%s: duplicate key %q", name(path), k.Value)
				continue
			}
			elem := reflect.New(v.Type().Elem()).Elem()
			d.value(val, elem, join(path, k.Value))
			setPos(elem, At(file, k))
			m.SetMapIndex(key, elem)
		}
		v.Set(m)
	default:
		if n.Kind != yaml.ScalarNode {
			l.Add(At(file, n), "%s: expected %s, found %s", name(path), typeName(v.Type()), kindName(n))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			l.Add(At(file, n), "%s: expected %s, found %q", name(path), typeName(v.Type()), n.Value)
		}
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	file, l := d.file, d.l
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	sort.Strings(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			l.Add(At(file, k), "unknown key %q%s (known keys: %s)", k.Value, in(path), strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			l.Add(At(file, k), "duplicate key %q%s", k.Value, in(path))
			continue
		}
		seen[k.Value] = true
		d.value(val, v.Field(idx), join(path, k.Value))
	}
	for tag, idx := range fields {
		if !seen[tag] && t.Field(idx).Tag.Get("hiis") == "required" {
			l.Add(At(file, n), "missing required key %q%s", tag, in(path))
		}
	}
	setPos(v, At(file, n))
}

// setPos stores pos in a struct's Pos field, if it has one (a map entry
// overwrites it with the position of its key).
func setPos(v reflect.Value, pos Pos) {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	f := v.FieldByName("Pos")
	if f.IsValid() && f.Type() == posType && f.CanSet() {
		f.Set(reflect.ValueOf(pos))
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func name(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

func in(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "text"
	}
	return t.String()
}
