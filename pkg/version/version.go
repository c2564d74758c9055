// Package version reports which Keelson build is running, in the shape of the Kubernetes
// version.Info that `kubectl version` and the apiserver's /version endpoint expect.
//
// The build fields are set by the linker (see the Makefile):
//
//	go build -ldflags "-X github.com/keelson-dev/keelson/pkg/version.gitVersion=v1.32.0+keelson.abc1234"
//
// and are never written at run time.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Major and Minor are the Kubernetes API version Keelson serves; clients use them for version skew
// checks.
const (
	Major = "1"
	Minor = "32"
)

// Build stamps, written only by the linker's -X flag. An unstamped build (go test, go run) reports
// a development version.
var (
	gitVersion   = "v1.32.0+keelson.dev"
	gitCommit    = ""
	gitTreeState = ""
	buildDate    = "1970-01-01T00:00:00Z"
)

// Info describes one build. Its JSON form is the one Kubernetes serves on /version.
type Info struct {
	Major        string `json:"major"`
	Minor        string `json:"minor"`
	GitVersion   string `json:"gitVersion"`
	GitCommit    string `json:"gitCommit"`
	GitTreeState string `json:"gitTreeState"`
	BuildDate    string `json:"buildDate"`
	GoVersion    string `json:"goVersion"`
	Compiler     string `json:"compiler"`
	Platform     string `json:"platform"`
}

// Get returns the running build's version. Without linker stamps, the commit and tree state come
// from the VCS information the Go toolchain embedded, when there is any.
func Get() Info {
	commit, tree := gitCommit, gitTreeState
	if commit == "" {
		commit, tree = vcsStamp()
	}
	return Info{
		Major:        Major,
		Minor:        Minor,
		GitVersion:   gitVersion,
		GitCommit:    commit,
		GitTreeState: tree,
		BuildDate:    buildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
}

// String returns the git version, the form `--version` prints.
func (i Info) String() string {
	return i.GitVersion
}

// vcsStamp reads the revision and dirtiness the go command records when it builds inside a
// repository with VCS stamping on.
func vcsStamp() (commit, treeState string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			treeState = "clean"
			if s.Value == "true" {
				treeState = "dirty"
			}
		}
	}
	return commit, treeState
}
