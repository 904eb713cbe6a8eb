package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// LoadFiles loads config files and directories over the defaults, without
// flags or -dev, and validates the result: what `concord validate` checks.
// Each path may be a .hcl or .json file or a directory of them.
func LoadFiles(paths []string) (Config, error) {
	c := Default()
	for _, p := range paths {
		if err := loadPath(&c, p, fileOrDir); err != nil {
			return Config{}, err
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// pathMode says what a path argument may name.
type pathMode int

const (
	fileOrDir pathMode = iota // concord validate FILE|DIR
	fileOnly                  // -config-file
	dirOnly                   // -config-dir
)

// loadPath reads the file, or the directory's config files, at path and
// applies them to c in order, recording each in c.Files.
func loadPath(c *Config, path string, mode pathMode) error {
	files, err := expandPath(path, mode)
	if err != nil {
		return err
	}
	for _, name := range files {
		t, err := parseFile(name)
		if err != nil {
			return err
		}
		if err := applyTree(c, name, t); err != nil {
			return err
		}
		c.Files = append(c.Files, name)
	}
	return nil
}

// expandPath returns the config files path stands for: path itself, or a
// directory's *.hcl and *.json files in lexical order. Other files in a
// directory are ignored, so editors' backups and READMEs can live there.
func expandPath(path string, mode pathMode) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if !fi.IsDir() {
		if mode == dirOnly {
			return nil, fmt.Errorf("config: %s: not a directory (use -config-file)", path)
		}
		return []string{path}, nil
	}
	if mode == fileOnly {
		return nil, fmt.Errorf("config: %s: is a directory (use -config-dir)", path)
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext != ".hcl" && ext != ".json" {
			continue
		}
		name := filepath.Join(path, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(name)
			if err != nil {
				return nil, fmt.Errorf("config: %w", err)
			}
			if !fi.Mode().IsRegular() {
				continue
			}
		} else if !e.Type().IsRegular() {
			continue
		}
		files = append(files, name)
	}
	return files, nil
}

// parseFile decodes one config file, choosing the format by extension.
func parseFile(name string) (tree, error) {
	ext := filepath.Ext(name)
	if ext != ".hcl" && ext != ".json" {
		return nil, fmt.Errorf("config: %s: unknown format: the name must end in .hcl or .json", name)
	}
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if ext == ".json" {
		return parseJSON(src, name)
	}
	return parseHCL(src, name)
}

// parseHCL decodes HCL native syntax. Expressions are evaluated without
// variables or functions, so only literal values are allowed.
func parseHCL(src []byte, name string) (tree, error) {
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("config: %s: unexpected HCL body type %T", name, file.Body)
	}
	return hclBody(body)
}

// hclBody turns attributes and blocks into one map. `ports { ... }` and
// `ports = { ... }` give the same result; a block type that appears more
// than once becomes a list of objects, applied in order.
func hclBody(body *hclsyntax.Body) (tree, error) {
	t := make(tree, len(body.Attributes)+len(body.Blocks))
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, attr := range body.Attributes {
		attrs = append(attrs, attr)
	}
	// Report the first bad attribute in the file, not a random one.
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
	for _, attr := range attrs {
		name := attr.Name
		if err := noForExpr(attr.Expr); err != nil {
			return nil, err
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, diagError(diags)
		}
		x, err := fromCty(v)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %s: %w", posString(attr.SrcRange), name, err)
		}
		t[name] = x
	}
	blocks := make(map[string][]any)
	var order []string
	for _, b := range body.Blocks {
		if _, ok := t[b.Type]; ok {
			return nil, fmt.Errorf("config: %s: %s: set both as an attribute and as a block", posString(b.TypeRange), b.Type)
		}
		if len(b.Labels) > 0 {
			return nil, fmt.Errorf("config: %s: %s: block takes no labels", posString(b.TypeRange), b.Type)
		}
		inner, err := hclBody(b.Body)
		if err != nil {
			return nil, err
		}
		if _, ok := blocks[b.Type]; !ok {
			order = append(order, b.Type)
		}
		blocks[b.Type] = append(blocks[b.Type], inner)
	}
	for _, typ := range order {
		if list := blocks[typ]; len(list) == 1 {
			t[typ] = list[0]
		} else {
			t[typ] = list
		}
	}
	return t, nil
}

// noForExpr refuses for expressions (also those of %{for} templates).
// Without variables they say nothing a literal cannot, and nested ones
// multiply: six levels over ten elements build a million values from a
// few hundred bytes.
func noForExpr(expr hclsyntax.Expression) error {
	var found *hclsyntax.ForExpr
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if f, ok := n.(*hclsyntax.ForExpr); ok && found == nil {
			found = f
		}
		return nil
	})
	if found != nil {
		return fmt.Errorf("config: %s: for expressions are not allowed, only literal values", posString(found.SrcRange))
	}
	return nil
}

// maxNumberExp bounds the binary exponent of HCL numbers, well beyond
// float64's range (about 1e308).
const maxNumberExp = 1100

// fromCty converts an evaluated HCL value to a tree value.
func fromCty(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsWhollyKnown() || v.IsMarked() {
		return nil, errors.New("value must be a literal")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Number:
		f := v.AsBigFloat()
		// A literal such as 1e9999999 parses at once but takes minutes and
		// megabytes to print in full; no setting needs one.
		if exp := f.MantExp(nil); f.IsInf() || exp > maxNumberExp || exp < -maxNumberExp {
			return nil, errors.New("number out of range")
		}
		return json.Number(f.Text('f', -1)), nil
	case t == cty.Bool:
		return v.True(), nil
	case t.IsObjectType() || t.IsMapType():
		m := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			x, err := fromCty(e)
			if err != nil {
				return nil, err
			}
			m[k.AsString()] = x
		}
		return m, nil
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		list := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			x, err := fromCty(e)
			if err != nil {
				return nil, err
			}
			list = append(list, x)
		}
		return list, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", t.FriendlyName())
}

// diagError reports the first error in diags as "config: file:line:col: ...".
func diagError(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject == nil {
			return fmt.Errorf("config: %s", msg)
		}
		return fmt.Errorf("config: %s: %s", posString(*d.Subject), msg)
	}
	return nil
}

// posString formats the start of r as file:line:col.
func posString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// parseJSON decodes a JSON object, keeping numbers exact.
func parseJSON(src []byte, name string) (tree, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("config: %s: empty file, want a JSON object", name)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("config: %s:%d: unexpected end of file", name, lineAt(src, len(src)))
		case errors.As(err, &syn):
			return nil, fmt.Errorf("config: %s:%d: %v", name, lineAt(src, int(syn.Offset)-1), err)
		}
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s:%d: unexpected data after the top-level object",
			name, lineAt(src, int(dec.InputOffset())))
	}
	t, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("config: %s: top level must be a JSON object, got %s", name, describe(v))
	}
	return t, nil
}

// lineAt returns the 1-based line holding byte offset off of src.
func lineAt(src []byte, off int) int {
	off = max(0, min(off, len(src)))
	return bytes.Count(src[:off], []byte("\n")) + 1
}
