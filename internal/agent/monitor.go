package agent

import (
	"context"
	"errors"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/logstream"
)

// errNoMonitor is returned by Monitor when the agent's logger was not
// wrapped by logstream.NewHandler.
var errNoMonitor = errors.New("agent: log monitoring is not available")

// Monitor answers /v1/agent/monitor: the agent's log lines at or above
// level, as they happen, as text or JSON lines, until ctx ends (see
// logstream.Handler.Subscribe). An unknown level is a bad request.
func (a *Agent) Monitor(ctx context.Context, level string, asJSON bool) (<-chan string, error) {
	h, ok := a.logger.Handler().(*logstream.Handler)
	if !ok {
		return nil, errNoMonitor
	}
	l, err := logstream.ParseLevel(level)
	if err != nil {
		return nil, api.BadRequestError{Reason: err.Error()}
	}
	return h.Subscribe(ctx, l, asJSON), nil
}
