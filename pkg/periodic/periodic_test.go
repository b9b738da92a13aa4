package periodic

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDrainStopsAtAShortBatch(t *testing.T) {
	t.Parallel()
	left := int64(25)
	steps := 0
	n, err := Drain(context.Background(), 10, func(context.Context) (int64, error) {
		steps++
		done := min(left, 10)
		left -= done
		return done, nil
	})
	if err != nil || n != 25 || steps != 3 {
		t.Fatalf("Drain = %d, %v after %d steps; want 25 after 3", n, err, steps)
	}
	boom := errors.New("boom")
	if n, err := Drain(context.Background(), 10, func(context.Context) (int64, error) { return 10, boom }); !errors.Is(err, boom) || n != 10 {
		t.Fatalf("Drain with a failing step = %d, %v", n, err)
	}
}

func TestRunRunsAtOnceThenEveryPeriodAndLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	const every = 100 * time.Millisecond
	var started []time.Duration // each round's start, from Run's
	done := make(chan struct{})
	begin := time.Now()
	go func() {
		Run(ctx, every, logger, "expired things", func(context.Context) (int64, error) {
			started = append(started, time.Since(begin))
			switch len(started) {
			case 1:
				return 2, nil
			case 2:
				return 0, errors.New("db down")
			case 3:
				cancel()
			}
			return 0, nil
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its ctx")
	}
	if len(started) != 3 {
		t.Fatalf("%d rounds, want 3 (the third cancels)", len(started))
	}
	// At once: the first round does not wait for a period; then one round a period.
	if started[0] >= every/2 {
		t.Errorf("the first round started after %v, want at once (well before %v)", started[0], every)
	}
	for k := 1; k < 3; k++ {
		if started[k] < time.Duration(k)*every {
			t.Errorf("round %d started after %v, before %d periods of %v", k+1, started[k], k, every)
		}
	}
	out := buf.String()
	if !strings.Contains(out, "msg=\"expired things\" count=2") || !strings.Contains(out, "expired things failed") || !strings.Contains(out, "db down") {
		t.Fatalf("the log says:\n%s", out)
	}
}
