package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
	"github.com/keelson-dev/keelson/scheduler/internal/core"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current decisions")

// goldenCase is a testdata/<name>.yaml file: a cluster and a pod to place in it. Manifests are
// written as for kubectl.
type goldenCase struct {
	// Provider names the algorithm provider (default DefaultProvider).
	Provider string `yaml:"provider"`
	// Seed seeds the tie breaker (default 1).
	Seed uint64 `yaml:"seed"`
	// Nodes are node manifests; NodeSets add Count copies of a template named <name>-<i>.
	Nodes    []any     `yaml:"nodes"`
	NodeSets []nodeSet `yaml:"nodeSets"`
	// Placed are pods already on nodes (spec.nodeName set).
	Placed []any `yaml:"placed"`
	// Services and ReplicaSets are what selector spreading reads.
	Services    []any `yaml:"services"`
	ReplicaSets []any `yaml:"replicaSets"`
	// Pod is the pod to schedule.
	Pod any `yaml:"pod"`
}

type nodeSet struct {
	Count    int `yaml:"count"`
	Template any `yaml:"template"`
}

// TestGoldenDecisions schedules the pod of each testdata/*.yaml and compares the whole decision —
// the chosen node, why each rejected node was rejected, every scored node's scores, or the
// message of a pod that fits nowhere — with testdata/<name>.golden. Run with -update to rewrite
// the golden files after an intended change, and review the diff.
func TestGoldenDecisions(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := decide(t, file)
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create %s", golden)
			require.Equal(t, string(want), got)
		})
	}
}

// decide loads a case, schedules its pod and describes the decision.
func decide(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var c goldenCase
	require.NoError(t, yaml.Unmarshal(raw, &c))
	if c.Provider == "" {
		c.Provider = algorithmprovider.DefaultProvider
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	nodes := decodeAll[*corev1.Node](t, c.Nodes)
	for _, set := range c.NodeSets {
		tmpl := decode[*corev1.Node](t, set.Template)
		for i := 0; i < set.Count; i++ {
			n := proto.Clone(tmpl).(*corev1.Node)
			n.Metadata.Name = fmt.Sprintf("%s-%02d", tmpl.GetMetadata().GetName(), i)
			nodes = append(nodes, n)
		}
	}
	placed := decodeAll[*corev1.Pod](t, c.Placed)
	services := decodeAll[*corev1.Service](t, c.Services)
	replicaSets := decodeAll[*appsv1.ReplicaSet](t, c.ReplicaSets)
	pod := decode[*corev1.Pod](t, c.Pod)

	snap, err := nodeinfo.NewSnapshot(nodes, placed)
	require.NoError(t, err)
	listers := algorithm.Listers{
		Services:    func(string) []*corev1.Service { return services },
		ReplicaSets: func(string) []*appsv1.ReplicaSet { return replicaSets },
	}
	alg, err := algorithmprovider.NewDefaultRegistry().Build(c.Provider, algorithmprovider.Args{Listers: listers})
	require.NoError(t, err)
	sched := core.New(core.Config{
		Predicates: alg.Predicates, Priorities: alg.Priorities, Parallelism: 2,
		Rand: rand.New(rand.NewPCG(c.Seed, 0)), RecordScores: true,
	})
	pi, err := nodeinfo.NewPodInfo(pod)
	require.NoError(t, err)
	res, err := sched.Schedule(context.Background(), pi, snap)

	var b strings.Builder
	fmt.Fprintf(&b, "pod %s, provider %s, %d nodes\n", pi.Key, c.Provider, len(nodes))
	var fe *core.FitError
	if errors.As(err, &fe) {
		fmt.Fprintf(&b, "unschedulable:\n  %s\n", fe.Error())
		return b.String()
	}
	require.NoError(t, err)
	fmt.Fprintf(&b, "chosen: %s (evaluated %d, feasible %d)\n", res.Node, res.EvaluatedNodes, res.FeasibleNodes)
	if len(res.Rejected) > 0 {
		b.WriteString("rejected:\n")
		for _, n := range sortedKeys(res.Rejected) {
			var rs []string
			for _, r := range res.Rejected[n] {
				rs = append(rs, r.String())
			}
			fmt.Fprintf(&b, "  %s: %s\n", n, strings.Join(rs, ", "))
		}
	}
	if len(res.Scores) > 0 {
		b.WriteString("scores (total = sum of score × weight; skipped: the priority scores every node alike for this pod):\n")
		weights := map[string]int64{}
		var prios []string
		for _, wp := range alg.Priorities {
			weights[wp.Priority.Name()] = wp.Weight
			prios = append(prios, wp.Priority.Name())
		}
		scores := append([]core.NodeScore(nil), res.Scores...)
		sort.Slice(scores, func(i, j int) bool { return scores[i].Node < scores[j].Node })
		for _, s := range scores {
			fmt.Fprintf(&b, "  %s: total %d\n", s.Node, s.Total)
			for _, p := range prios {
				if v, ok := s.ByPriority[p]; ok {
					fmt.Fprintf(&b, "    %-28s %3d × %d\n", p, v, weights[p])
				} else {
					fmt.Fprintf(&b, "    %-28s skipped\n", p)
				}
			}
		}
	}
	return b.String()
}

// decode reads a manifest into T; apiVersion and kind, which the messages do not carry, are
// dropped, and any other unknown field is an error.
func decode[T proto.Message](t *testing.T, v any) T {
	t.Helper()
	if m, ok := v.(map[string]any); ok {
		delete(m, "apiVersion")
		delete(m, "kind")
	}
	js, err := json.Marshal(v)
	require.NoError(t, err)
	var zero T
	msg := zero.ProtoReflect().New().Interface().(T)
	require.NoError(t, protojson.Unmarshal(js, msg), "%s", js)
	return msg
}

func decodeAll[T proto.Message](t *testing.T, vs []any) []T {
	t.Helper()
	out := make([]T, 0, len(vs))
	for _, v := range vs {
		out = append(out, decode[T](t, v))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
