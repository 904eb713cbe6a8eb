package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Watch is one entry of the watches key: what to watch (the type and its
// parameters, named as for `concord watch`) and the handler to call on
// each change. The agent checks the type and its parameters when it
// starts the watch.
type Watch struct {
	Type        string   // type: key, keyprefix, services, nodes, service, checks or event
	Key         string   // key
	Prefix      string   // prefix
	Service     string   // service
	Tag         []string // tag: one tag or a list
	PassingOnly bool     // passingonly
	State       string   // state
	Name        string   // name (event)
	Stale       bool     // stale
	Datacenter  string   // datacenter: another datacenter than the agent's
	Token       string   // token: the ACL token of the watch's queries

	HandlerType string    // handler_type: "script" (the default) or "http"
	Args        []string  // args: the script handler's command and arguments, run without a shell
	Handler     string    // handler: a script handler's shell command line (Consul's older form)
	HTTP        WatchHTTP // http_handler_config
}

// WatchHTTP is an http handler's settings (http_handler_config).
type WatchHTTP struct {
	Path          string              // path: the URL; required
	Method        string              // method (POST)
	Header        map[string][]string // header: each name maps to a list of values
	Timeout       time.Duration       // timeout (10s)
	TLSSkipVerify bool                // tls_skip_verify
}

// fieldKey is one key of a definition decoding into a T: the kind its
// value converts to (or, for a nested object, how to decode it), and how to
// store the result.
type fieldKey[T any] struct {
	kind   kind
	decode func(v any) (any, error) // used instead of kind when set
	set    func(t *T, v any)
}

// watchKeys are the keys a watch definition may hold, Consul's names.
var watchKeys = map[string]fieldKey[Watch]{
	"type":         {kind: kindString, set: func(w *Watch, v any) { w.Type = v.(string) }},
	"key":          {kind: kindString, set: func(w *Watch, v any) { w.Key = v.(string) }},
	"prefix":       {kind: kindString, set: func(w *Watch, v any) { w.Prefix = v.(string) }},
	"service":      {kind: kindString, set: func(w *Watch, v any) { w.Service = v.(string) }},
	"tag":          {kind: kindList, set: func(w *Watch, v any) { w.Tag = v.([]string) }},
	"passingonly":  {kind: kindBool, set: func(w *Watch, v any) { w.PassingOnly = v.(bool) }},
	"state":        {kind: kindString, set: func(w *Watch, v any) { w.State = v.(string) }},
	"name":         {kind: kindString, set: func(w *Watch, v any) { w.Name = v.(string) }},
	"stale":        {kind: kindBool, set: func(w *Watch, v any) { w.Stale = v.(bool) }},
	"datacenter":   {kind: kindString, set: func(w *Watch, v any) { w.Datacenter = v.(string) }},
	"token":        {kind: kindString, set: func(w *Watch, v any) { w.Token = v.(string) }},
	"handler_type": {kind: kindString, set: func(w *Watch, v any) { w.HandlerType = v.(string) }},
	"args":         {kind: kindList, set: func(w *Watch, v any) { w.Args = v.([]string) }},
	"handler":      {kind: kindString, set: func(w *Watch, v any) { w.Handler = v.(string) }},
	"http_handler_config": {decode: decodeHTTPHandler,
		set: func(w *Watch, v any) { w.HTTP = v.(WatchHTTP) }},
}

// httpHandlerKeys are the keys of http_handler_config.
var httpHandlerKeys = map[string]fieldKey[WatchHTTP]{
	"path":            {kind: kindString, set: func(h *WatchHTTP, v any) { h.Path = v.(string) }},
	"method":          {kind: kindString, set: func(h *WatchHTTP, v any) { h.Method = v.(string) }},
	"header":          {decode: decodeHeader, set: func(h *WatchHTTP, v any) { h.Header = v.(map[string][]string) }},
	"timeout":         {decode: decodeTimeout, set: func(h *WatchHTTP, v any) { h.Timeout = v.(time.Duration) }},
	"tls_skip_verify": {kind: kindBool, set: func(h *WatchHTTP, v any) { h.TLSSkipVerify = v.(bool) }},
}

// decodeFields sets on t the keys of item, which must be an object whose
// keys are all in keys. Null values are skipped.
func decodeFields[T any](t *T, item any, keys map[string]fieldKey[T]) error {
	m, ok := item.(map[string]any)
	if !ok {
		return fmt.Errorf("must be an object, got %s", describe(item))
	}
	for _, k := range sortedKeys(m) {
		v := m[k]
		if v == nil {
			continue
		}
		fk, ok := keys[k]
		if !ok {
			return fmt.Errorf("unknown key %q", k)
		}
		var x any
		var err error
		if fk.decode != nil {
			if x, err = fk.decode(v); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		} else if x, err = convert(fk.kind, v); err != nil {
			return fmt.Errorf("%s: %w, got %s", k, err, describe(v))
		}
		fk.set(t, x)
	}
	return nil
}

// applyWatches adds the watch definitions of v (one object, or a list of
// them) to c.
func applyWatches(c *Config, v any) error {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	for i, item := range list {
		w, err := decodeWatch(item)
		if err != nil {
			return fmt.Errorf("watches[%d]: %w", i, err)
		}
		c.Watches = append(c.Watches, w)
	}
	return nil
}

// decodeWatch decodes and checks one watch definition.
func decodeWatch(item any) (Watch, error) {
	var w Watch
	if err := decodeFields(&w, item, watchKeys); err != nil {
		return w, err
	}
	if w.Type == "" {
		return w, errors.New("type is required")
	}
	switch w.HandlerType {
	case "", "script":
		w.HandlerType = "script"
		switch {
		case len(w.Args) == 0 && w.Handler == "":
			return w, errors.New("a script handler needs args")
		case len(w.Args) > 0 && w.Handler != "":
			return w, errors.New("args and handler are mutually exclusive")
		case w.HTTP.Path != "":
			return w, errors.New("http_handler_config needs handler_type = \"http\"")
		}
	case "http":
		if len(w.Args) > 0 || w.Handler != "" {
			return w, errors.New("args and handler are for script handlers, not http")
		}
		u, err := url.Parse(w.HTTP.Path)
		if w.HTTP.Path == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return w, fmt.Errorf("an http handler needs http_handler_config.path, an http:// or https:// URL, got %q", w.HTTP.Path)
		}
		if w.HTTP.Method == "" {
			w.HTTP.Method = "POST"
		}
	default:
		return w, fmt.Errorf("handler_type must be \"script\" or \"http\", got %q", w.HandlerType)
	}
	return w, nil
}

// decodeHTTPHandler decodes http_handler_config: an object, or a list of
// one (a repeated HCL block decodes so).
func decodeHTTPHandler(v any) (any, error) {
	if list, ok := v.([]any); ok && len(list) == 1 {
		v = list[0]
	}
	var h WatchHTTP
	err := decodeFields(&h, v, httpHandlerKeys)
	return h, err
}

// decodeTimeout decodes a duration that may not be negative.
func decodeTimeout(v any) (any, error) {
	d, err := convert(kindDuration, v)
	if err == nil && d.(time.Duration) < 0 {
		err = errors.New("must not be negative")
	}
	if err != nil {
		return nil, fmt.Errorf("%w, got %s", err, describe(v))
	}
	return d, nil
}

// decodeHeader decodes a map of header names to a list of values (or one).
func decodeHeader(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object of header names, got %s", describe(v))
	}
	header := make(map[string][]string, len(m))
	for _, name := range sortedKeys(m) {
		values, err := convert(kindList, m[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		header[name] = values.([]string)
	}
	return header, nil
}
