package version

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGet(t *testing.T) {
	info := Get()
	require.Equal(t, "1", info.Major)
	require.Equal(t, "32", info.Minor)
	require.Equal(t, runtime.Version(), info.GoVersion)
	require.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, info.Platform)
	require.Equal(t, "gc", info.Compiler)
	require.True(t, strings.HasPrefix(info.GitVersion, "v1.32."), "gitVersion %q must match the served minor", info.GitVersion)
	require.Equal(t, info.GitVersion, info.String())
}

func TestJSONFieldNamesMatchKubernetes(t *testing.T) {
	b, err := json.Marshal(Get())
	require.NoError(t, err)
	var fields map[string]string
	require.NoError(t, json.Unmarshal(b, &fields))
	for _, k := range []string{"major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"} {
		require.Contains(t, fields, k)
	}
	require.Len(t, fields, 9)
}

// TestLinkerStamps builds a tiny program with -ldflags -X, the way the Makefile does, and checks
// that every stamp reaches Info.
func TestLinkerStamps(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(main, []byte(`package main

import (
	"encoding/json"
	"os"

	"github.com/keelson-dev/keelson/pkg/version"
)

func main() { _ = json.NewEncoder(os.Stdout).Encode(version.Get()) }
`), 0o600))
	const pkg = "github.com/keelson-dev/keelson/pkg/version"
	ldflags := strings.Join([]string{
		"-X", pkg + ".gitVersion=v1.32.0+keelson.abc1234",
		"-X", pkg + ".gitCommit=abc1234def",
		"-X", pkg + ".gitTreeState=clean",
		"-X", pkg + ".buildDate=2026-01-02T03:04:05Z",
	}, " ")
	bin := filepath.Join(dir, "stamped")
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, main)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	out, err = exec.Command(bin).Output()
	require.NoError(t, err)
	var got Info
	require.NoError(t, json.Unmarshal(out, &got))
	require.Equal(t, "v1.32.0+keelson.abc1234", got.GitVersion)
	require.Equal(t, "abc1234def", got.GitCommit)
	require.Equal(t, "clean", got.GitTreeState)
	require.Equal(t, "2026-01-02T03:04:05Z", got.BuildDate)
}
