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

// parseJSON decodes a JSON object, keeping numbers exact; an empty file
// is an empty object.
func parseJSON(src []byte, name string) (tree, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			// An empty file (or only white space) sets nothing, as in
			// Consul: a file kept empty until a reload fills it.
			return tree{}, nil
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
