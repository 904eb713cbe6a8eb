package logstream

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Monitor lines are in Consul's formats, which `consul monitor` users and
// log parsers expect:
//
//	2026-12-07T18:31:07.326Z [INFO]  agent: Synced service: service=redis
//	{"@level":"info","@message":"Synced service","@module":"agent","@timestamp":"…","service":"redis"}
//
// The module is the "component" attribute; the other attributes follow,
// group names joined to their keys with dots.

// field is one attribute of a line, flattened.
type field struct {
	key string
	val slog.Value
}

// fields returns r's module and its other attributes, those of h's With*
// calls first.
func (h *Handler) fields(r slog.Record) (module string, out []field) {
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			p := prefix
			if a.Key != "" {
				p += a.Key + "."
			}
			for _, g := range v.Group() {
				add(p, g)
			}
			return
		}
		if prefix == "" && a.Key == "component" {
			module = v.String()
			return
		}
		out = append(out, field{prefix + a.Key, v})
	}
	prefix := ""
	for _, op := range h.ops {
		if op.group != "" {
			prefix += op.group + "."
			continue
		}
		for _, a := range op.attrs {
			add(prefix, a)
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		add(prefix, a)
		return true
	})
	return module, out
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// formatText renders r as a Consul text line.
func (h *Handler) formatText(r slog.Record) string {
	module, fs := h.fields(r)
	var b strings.Builder
	b.WriteString(r.Time.UTC().Format(timeLayout))
	b.WriteByte(' ')
	b.WriteString(levelBracket(r.Level))
	b.WriteByte(' ')
	if module != "" {
		b.WriteString(module)
		b.WriteString(": ")
	}
	b.WriteString(r.Message)
	for i, f := range fs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(quoteText(text(f.val)))
	}
	return b.String()
}

// formatJSON renders r as a Consul JSON line.
func (h *Handler) formatJSON(r slog.Record) string {
	module, fs := h.fields(r)
	m := make(map[string]any, len(fs)+4)
	for _, f := range fs {
		switch f.val.Kind() {
		case slog.KindString, slog.KindDuration, slog.KindTime, slog.KindAny, slog.KindLogValuer:
			m[f.key] = text(f.val)
		default:
			m[f.key] = f.val.Any()
		}
	}
	m["@level"] = strings.ToLower(strings.TrimSpace(strings.Trim(levelBracket(r.Level), "[] ")))
	m["@message"] = r.Message
	m["@timestamp"] = r.Time.UTC().Format(timeLayout)
	if module != "" {
		m["@module"] = module
	}
	data, err := json.Marshal(m)
	if err != nil {
		return `{"@level":"error","@message":` + strconv.Quote("cannot format log line: "+err.Error()) + `}`
	}
	return string(data)
}

// levelBracket is the level as Consul prints it, padded to one width.
func levelBracket(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "[TRACE]"
	case l < slog.LevelInfo:
		return "[DEBUG]"
	case l < slog.LevelWarn:
		return "[INFO] "
	case l < slog.LevelError:
		return "[WARN] "
	}
	return "[ERROR]"
}

// text is v as a string: durations as 1.5s, times in RFC 3339.
func text(v slog.Value) string {
	switch v.Kind() {
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	}
	return v.String()
}

// quoteText quotes s when it would not read as one word.
func quoteText(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}
