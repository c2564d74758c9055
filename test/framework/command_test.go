package framework

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommandStopsTheProgram(t *testing.T) {
	tests := []struct {
		name      string
		trap      string // the shell's answer to SIGTERM
		killAfter time.Duration
		want      string // in Stop's error; "" for none
		exitCode  int    // of the *exec.ExitError in Stop's error, when not 0
	}{
		{name: "a clean exit on SIGTERM", trap: "exit 0"},
		{name: "a failed exit on SIGTERM", trap: "exit 3", want: "sh: exit status 3", exitCode: 3},
		{name: "killed when it ignores SIGTERM", trap: "", killAfter: 200 * time.Millisecond,
			want: "sh still running 200ms after terminated, killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The script says when its trap is set, so that the signal never comes first.
			ready := filepath.Join(t.TempDir(), "ready")
			script := "trap '" + tt.trap + "' TERM; : > " + ready + "; while :; do sleep 0.05; done"
			r := Start(t, &Command{Cmd: exec.Command("sh", "-c", script), KillAfter: tt.killAfter})
			r.WaitFor(10*time.Second, func() bool {
				_, err := os.Stat(ready)
				return err == nil
			}, "the trap set")
			err := r.Stop()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Stop: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Stop returned %v, want %q", err, tt.want)
			}
			var exit *exec.ExitError
			if tt.exitCode != 0 && (!errors.As(err, &exit) || exit.ExitCode() != tt.exitCode) {
				t.Fatalf("Stop returned %v, want exit code %d", err, tt.exitCode)
			}
		})
	}
}

func TestCommandThatCannotStart(t *testing.T) {
	tb := &fakeTB{TB: t}
	r := Start(tb, &Command{Cmd: exec.Command(filepath.Join(t.TempDir(), "keelson-missing"))})
	if err := r.Wait(10 * time.Second); err == nil || !strings.Contains(err.Error(), "start keelson-missing") {
		t.Fatalf("Wait returned %v", err)
	}
	if got := tb.end(); len(got) != 0 {
		t.Fatalf("reported %q after the test took the error", got)
	}
}
