package gossip

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestLogWriterTranslatesLevels(t *testing.T) {
	tests := []struct {
		line string
		want string // the slog text line's level and msg, "" when dropped
	}{
		{"[DEBUG] memberlist: Stream connection from=127.0.0.1:5\n", ""},
		{"[TRACE] serf: messageJoinType: a\n", ""},
		{"[INFO] serf: EventMemberJoin: a 127.0.0.1\n", `level=INFO msg="serf: EventMemberJoin: a 127.0.0.1"`},
		{"[WARN] memberlist: Was able to connect to b over TCP\n", `level=WARN msg="memberlist: Was able to connect to b over TCP"`},
		{"[ERR] memberlist: Failed to send ping\n", `level=ERROR msg="memberlist: Failed to send ping"`},
		{"[ERROR] serf: Failed to update snapshot\n", `level=ERROR msg="serf: Failed to update snapshot"`},
		{"  no level at all  \n", `level=INFO msg="no level at all"`},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{
			Level: slog.LevelDebug - 8,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
		w := &logWriter{logger: logger}
		if n, err := w.Write([]byte(tt.line)); n != len(tt.line) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", tt.line, n, err, len(tt.line))
		}
		want := tt.want
		if want != "" {
			want += "\n"
		}
		if got := out.String(); got != want {
			t.Errorf("Write(%q) logged %q, want %q", tt.line, got, want)
		}
	}
}
