package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/concordhq/concord/api"
)

// runStream is `concord stream publish|subscribe`: Concord's durable topics.
func runStream(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "usage: concord stream publish [options] TOPIC [DATA|@file|-]\n" +
		"       concord stream subscribe [options] [-after N] [-count N] TOPIC"
	if len(args) == 0 {
		return verbatimf("%s", usage)
	}
	fs := flag.NewFlagSet("stream "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var hf httpFlags
	hf.register(fs)
	after := fs.Uint64("after", 0, "start after this message `index` (subscribe)")
	count := fs.Int("count", 0, "stop after this many messages, 0 for never (subscribe)")
	if err := fs.Parse(args[1:]); err != nil {
		return silentExit(1) // fs has printed the error, or -h's help
	}
	client, err := hf.connect(ctx)
	if err != nil {
		return err
	}
	switch {
	case args[0] == "publish" && (fs.NArg() == 1 || fs.NArg() == 2):
		var data []byte
		if fs.NArg() == 2 {
			var err error
			if data, err = readData(fs.Arg(1)); err != nil {
				return err
			}
		}
		idx, err := client.Stream().Publish(fs.Arg(0), data)
		if err != nil {
			return fmt.Errorf("Cannot publish: %w", err)
		}
		fmt.Fprintf(stdout, "Published to %s at index %d\n", fs.Arg(0), idx)
		return nil
	case args[0] == "subscribe" && fs.NArg() == 1:
		subscribe(ctx, client.Stream(), fs.Arg(0), *after, *count, stdout, stderr)
		return nil
	}
	return verbatimf("%s", usage)
}

// subscribe prints each message as "<index> <value>" from after on, until
// ctx ends or count messages were printed. Errors are reported on stderr
// and retried.
func subscribe(ctx context.Context, s *api.Stream, topic string, after uint64, count int, stdout, stderr io.Writer) {
	printed := 0
	for ctx.Err() == nil {
		msgs, err := s.Read(topic, after, 0, time.Minute)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintf(stderr, "Error reading %s: %v; retrying\n", topic, err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for _, m := range msgs {
			fmt.Fprintf(stdout, "%d %s\n", m.Index, m.Value)
			after = m.Index
			if printed++; count > 0 && printed >= count {
				return
			}
		}
	}
}
