package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Parse builds the agent's Config from `concord agent` arguments. Sources
// merge in this order, later winning: defaults, -dev defaults, -config-file
// and -config-dir paths in the order given, -hcl fragments, then only the
// flags the user set. List keys (retry_join, start_join) are appended
// instead. The result is validated. For -h or -help it returns an error
// wrapping flag.ErrHelp; print Usage then.
func Parse(args []string) (Config, error) {
	var st flagState
	fs := newFlagSet(&st)
	// -test-read-fault is defined here rather than in newFlagSet so that
	// Usage, which builds its own flag set, never shows it.
	fs.StringVar(&st.testReadFault, "test-read-fault", "", "")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}

	c := Default()
	if st.dev {
		applyDev(&c)
	}
	for _, p := range st.paths {
		mode := fileOnly
		if p.dir {
			mode = dirOnly
		}
		if err := loadPath(&c, p.path, mode); err != nil {
			return Config{}, err
		}
	}
	for i, src := range st.hcl {
		name := fmt.Sprintf("-hcl #%d", i+1)
		t, err := parseHCL([]byte(src), name)
		if err != nil {
			return Config{}, err
		}
		if err := applyTree(&c, name, t); err != nil {
			return Config{}, err
		}
	}

	// Visit calls back only for flags the user set, so unset flags never
	// hide a file's value.
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) {
		set[f.Name] = true
		if of, ok := f.Value.(*optionFlag); ok {
			of.opt.set(&c, of.val)
		}
	})
	if set["bootstrap"] && set["bootstrap-expect"] {
		return Config{}, errors.New("config: -bootstrap and -bootstrap-expect are mutually exclusive")
	}
	c.TestReadFault = st.testReadFault

	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Usage returns the help text for the flags Parse accepts, for the CLI to
// print, since Parse itself writes nothing.
func Usage() string {
	var b strings.Builder
	fs := newFlagSet(&flagState{})
	fs.SetOutput(&b)
	fs.PrintDefaults()
	return b.String()
}

// flagState collects the flags that are not config keys.
type flagState struct {
	dev   bool
	paths []pathArg // -config-file and -config-dir, in command-line order
	hcl   []string  // -hcl fragments, in order

	testReadFault string // hidden -test-read-fault; see Config.TestReadFault
}

// pathArg is one -config-file or -config-dir argument.
type pathArg struct {
	path string
	dir  bool // from -config-dir
}

// newFlagSet defines every agent flag, storing results in st and in the
// optionFlags that Parse visits afterwards. It writes nothing.
func newFlagSet(st *flagState) *flag.FlagSet {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&st.dev, "dev", false,
		"development mode: an in-memory server with the UI on and no data_dir needed")
	fs.Var(&pathFlag{paths: &st.paths}, "config-file",
		"config `file` to load, .hcl or .json; repeatable")
	fs.Var(&pathFlag{paths: &st.paths, dir: true}, "config-dir",
		"`directory` whose *.hcl and *.json files load in lexical order; repeatable")
	fs.Var((*stringsFlag)(&st.hcl), "hcl",
		"inline HCL `config`, applied after files and before flags; repeatable")
	for i := range options {
		if o := &options[i]; o.flag != "" {
			fs.Var(&optionFlag{opt: o}, o.flag, o.usage)
		}
	}
	return fs
}

// optionFlag is the flag of one option. Set converts and checks at once,
// so a bad value is reported with the flag's name; Parse sets the result
// on Config after the files have been read.
type optionFlag struct {
	opt *option // nil only in the zero value flag.PrintDefaults makes
	val any     // the value of kind opt.kind; lists accumulate
}

func (f *optionFlag) String() string {
	if f == nil || f.val == nil {
		return ""
	}
	return fmt.Sprint(f.val)
}

func (f *optionFlag) Set(s string) error {
	v, err := convert(f.opt.kind, s)
	if err == nil && f.opt.check != nil {
		err = f.opt.check(v)
	}
	if err != nil {
		return err
	}
	if f.opt.kind == kindList {
		prev, _ := f.val.([]string)
		v = append(prev, v.([]string)...)
	}
	f.val = v
	return nil
}

// IsBoolFlag lets boolean options be given as -ui as well as -ui=false.
func (f *optionFlag) IsBoolFlag() bool { return f.opt != nil && f.opt.kind == kindBool }

// pathFlag appends to one list shared by -config-file and -config-dir, so
// the two keep their relative order.
type pathFlag struct {
	paths *[]pathArg
	dir   bool
}

func (f *pathFlag) String() string { return "" }

func (f *pathFlag) Set(s string) error {
	*f.paths = append(*f.paths, pathArg{path: s, dir: f.dir})
	return nil
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (f *stringsFlag) String() string { return strings.Join(*f, " ") }

func (f *stringsFlag) Set(s string) error {
	*f = append(*f, s)
	return nil
}
