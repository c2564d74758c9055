package rest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestTablesOfExamplesMatchGolden prints every manifest of the corpus as kubectl get sees it (the
// column names with their priority, then the row's cells, with a fixed clock) and compares the
// result with testdata/tables.golden; -update rewrites it.
func TestTablesOfExamplesMatchGolden(t *testing.T) {
	sch := scheme.Builtin()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "deploy", "examples", "*.yaml"))
	require.NoError(t, err)
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	type printed struct {
		File    string   `json:"file"`
		Columns []string `json:"columns"`
		Cells   []any    `json:"cells"`
	}
	var got []printed
	for _, f := range files {
		y, err := os.ReadFile(f)
		require.NoError(t, err)
		k, obj, _, err := kubejson.DecodeManifest(sch, y)
		require.NoError(t, err)
		obj.GetMetadata().CreationTimestamp = timestamppb.New(now.Add(-90 * time.Minute))
		p := printerFor(k.Kind)
		row, err := tableRowFor(k, p, obj, "None", now)
		require.NoError(t, err)
		require.Len(t, row.Cells, len(p.columns), "%s: one cell per column", k.Kind)
		pr := printed{File: filepath.Base(f), Cells: row.Cells}
		for _, c := range p.columns {
			name := c.Name
			if c.Priority > 0 {
				name += " (wide)"
			}
			pr.Columns = append(pr.Columns, name)
		}
		got = append(got, pr)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(got))
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	golden := filepath.Join("testdata", "tables.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(b, '\n'), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with -update to create %s", golden)
	require.Equal(t, string(want), string(b)+"\n")
}

func TestHumanDurationMatchesKubectl(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-5 * time.Second:              "<invalid>",
		0:                             "0s",
		119 * time.Second:             "119s",
		5*time.Minute + 3*time.Second: "5m3s",
		45 * time.Minute:              "45m",
		5*time.Hour + 30*time.Minute:  "5h30m",
		30 * time.Hour:                "30h",
		3*24*time.Hour + 5*time.Hour:  "3d5h",
		400 * 24 * time.Hour:          "400d",
		3 * 365 * 24 * time.Hour:      "3y",
	} {
		require.Equal(t, want, humanDuration(d), d.String())
	}
}

// TestCSRCellsMatchKubectl checks the certificate signing request row: requested duration and the
// condition column in kubectl's order of precedence.
func TestCSRCellsMatchKubectl(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	base := func(status string, expiring bool) obj {
		var o map[string]any
		d := json.NewDecoder(bytes.NewReader([]byte(`{"metadata":{"name":"node-csr-a","creationTimestamp":"2024-05-01T11:00:00Z"},
			"spec":{"signerName":"kubernetes.io/kube-apiserver-client-kubelet","username":"system:bootstrap:abcdef"` +
			map[bool]string{true: `,"expirationSeconds":3600`, false: ``}[expiring] + `},"status":` + status + `}`)))
		d.UseNumber()
		require.NoError(t, d.Decode(&o))
		return o
	}
	cases := []struct {
		name, status, duration, condition string
	}{
		{"pending", "{}", "<none>", "Pending"},
		{"approved", `{"conditions":[{"type":"Approved","status":"True"}]}`, "60m", "Approved"},
		{"issued", `{"conditions":[{"type":"Approved","status":"True"}],"certificate":"LS0t"}`, "60m", "Approved,Issued"},
		{"denied", `{"conditions":[{"type":"Denied","status":"True"}]}`, "60m", "Denied"},
		{"failed", `{"conditions":[{"type":"Approved","status":"True"},{"type":"Failed","status":"True"}]}`, "60m", "Approved,Failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cells := csrCells(base(c.status, c.duration != "<none>"), now)
			require.Equal(t, []any{"node-csr-a", "60m", "kubernetes.io/kube-apiserver-client-kubelet", "system:bootstrap:abcdef", c.duration, c.condition}, cells)
		})
	}
}
