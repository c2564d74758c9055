package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// TestCorpusServerDryRun applies every manifest of testdata/corpus, written the way people write
// them for Kubernetes (numbers for quantities, every volume source, fields left out for the
// defaults, old and new styles, multi-document files and Lists), with a server-side dry run
// through the real kubectl, and requires every document to be accepted.
func TestCorpusServerDryRun(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	env := startKubectlEnv(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			e := *env
			e.t = t
			want := corpusObjects(t, f)
			out := e.ok("apply", "--dry-run=server", "-f", f, "-o", "name")
			got := strings.Fields(out)
			require.Len(t, got, want, "kubectl applied:\n%s", out)
		})
	}
}

// corpusObjects counts the objects in a manifest file: one per document, or a List's items.
func corpusObjects(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	d := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	n := 0
	for {
		var doc struct {
			Kind  string `json:"kind"`
			Items []any  `json:"items"`
		}
		err := d.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return n
		}
		require.NoError(t, err, file)
		switch {
		case doc.Kind == "List":
			n += len(doc.Items)
		case doc.Kind != "":
			n++
		}
	}
}

// TestKubectlApplyNumbersAndSourcelessVolumes applies a Deployment whose CPU is the number 1 and a
// pod with a volume that names no source, and reads them back as Kubernetes writes them: the
// quantity as the string "1" and the volume as an emptyDir. Applying them again succeeds.
func TestKubectlApplyNumbersAndSourcelessVolumes(t *testing.T) {
	e := startKubectlEnv(t)
	manifest := e.file("numbers.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cpu-one
spec:
  selector:
    matchLabels: {app: cpu-one}
  template:
    metadata:
      labels: {app: cpu-one}
    spec:
      containers:
      - name: app
        image: nginx
        resources:
          limits:
            cpu: 1
            memory: 1024
---
apiVersion: v1
kind: Pod
metadata:
  name: scratch
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
  volumes:
  - name: scratch
`)
	out := e.ok("apply", "-f", manifest)
	require.Contains(t, out, "deployment.apps/cpu-one created")
	require.Contains(t, out, "pod/scratch created")

	deploy := e.ok("get", "deployment", "cpu-one", "-o", "yaml")
	require.Contains(t, deploy, "cpu: \"1\"\n")
	require.Contains(t, deploy, "memory: \"1024\"\n")
	require.Equal(t, `{"cpu":"1","memory":"1024"}`,
		e.ok("get", "deployment", "cpu-one", "-o", "jsonpath={.spec.template.spec.containers[0].resources.limits}"))

	pod := e.ok("get", "pod", "scratch", "-o", "yaml")
	require.Contains(t, pod, "  - emptyDir: {}\n    name: scratch\n")
	require.Equal(t, `{"emptyDir":{},"name":"scratch"}`, e.ok("get", "pod", "scratch", "-o", `jsonpath={.spec.volumes[?(@.name=="scratch")]}`))

	again := e.ok("apply", "-f", manifest)
	require.Contains(t, again, "deployment.apps/cpu-one")
	require.Contains(t, again, "pod/scratch")
	require.Equal(t, `{"cpu":"1","memory":"1024"}`,
		e.ok("get", "deployment", "cpu-one", "-o", "jsonpath={.spec.template.spec.containers[0].resources.limits}"))
}
