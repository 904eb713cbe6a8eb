package server

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// raftLogger adapts the agent's slog logger to the hclog interface Raft
// takes, so Raft's messages come out of the one structured logger.
func raftLogger(logger *slog.Logger) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:   "raft",
		Output: io.Discard,
		Level:  hclog.Trace,
	})
	l.RegisterSink(slogSink{logger: logger.With("component", "raft")})
	return l
}

// slogSink forwards hclog records to slog.
type slogSink struct{ logger *slog.Logger }

func (s slogSink) Accept(_ string, level hclog.Level, msg string, args ...any) {
	lvl := slog.LevelInfo
	switch {
	case level <= hclog.Debug:
		lvl = slog.LevelDebug
	case level == hclog.Warn:
		lvl = slog.LevelWarn
	case level >= hclog.Error:
		lvl = slog.LevelError
	}
	s.logger.Log(context.Background(), lvl, msg, args...)
}
