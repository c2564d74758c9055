package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const deploymentManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`

const podManifest = `apiVersion: v1
kind: Pod
metadata:
  name: p1
  labels: {app: p}
spec:
  containers:
  - name: c
    image: busybox
    ports:
    - containerPort: 8080
      name: http
`

// TestKubectl drives the real kubectl against bin/keelson-apiserver and checks what each supported
// command prints and how it exits, errors included.
func TestKubectl(t *testing.T) {
	e := startKubectlEnv(t)

	t.Run("version reports 1.32", func(t *testing.T) {
		var v struct {
			ServerVersion struct{ Major, Minor string } `json:"serverVersion"`
		}
		require.NoError(t, json.Unmarshal([]byte(e.ok("version", "-o", "json")), &v))
		require.Equal(t, "1", v.ServerVersion.Major)
		require.Equal(t, "32", v.ServerVersion.Minor)
	})

	t.Run("api-resources lists short names and groups", func(t *testing.T) {
		out := e.ok("api-resources")
		for _, want := range [][]string{
			{"pods", "po", "v1", "true", "Pod"},
			{"nodes", "no", "v1", "false", "Node"},
			{"namespaces", "ns", "v1", "false", "Namespace"},
			{"deployments", "deploy", "apps/v1", "true", "Deployment"},
			{"leases", "coordination.k8s.io/v1", "true", "Lease"},
		} {
			require.Contains(t, tableRows(out), want)
		}
		require.Contains(t, e.ok("api-resources", "--categories=all", "-o", "name"), "pods\n")
	})

	t.Run("get namespaces as table, yaml, json and name", func(t *testing.T) {
		out := e.ok("get", "ns")
		require.True(t, strings.HasPrefix(out, "NAME"), out)
		require.Equal(t, []string{"NAME", "STATUS", "AGE"}, strings.Fields(strings.Split(out, "\n")[0]))
		require.Contains(t, out, "kube-system")
		require.Contains(t, e.ok("get", "ns", "default", "-o", "yaml"), "kind: Namespace\n")
		var list struct {
			Kind  string
			Items []struct{ Metadata struct{ Name string } }
		}
		require.NoError(t, json.Unmarshal([]byte(e.ok("get", "ns", "-o", "json")), &list))
		require.Equal(t, "List", list.Kind)
		require.NotEmpty(t, list.Items)
		require.Equal(t, "namespace/default\n", e.ok("get", "ns", "default", "-o", "name"))
		require.Equal(t, "namespace/kube-system\n", e.ok("get", "ns", "--field-selector", "metadata.name=kube-system", "-o", "name"))
	})

	t.Run("errors print Kubernetes messages", func(t *testing.T) {
		require.Contains(t, e.fails("get", "pod", "nope"), `Error from server (NotFound): pods "nope" not found`)
		require.Contains(t, e.fails("get", "deploy", "nope", "-n", "kube-system"), `Error from server (NotFound): deployments.apps "nope" not found`)
		require.Contains(t, e.fails("create", "namespace", "default"), `Error from server (AlreadyExists): namespaces "default" already exists`)
		bad := e.file("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers: []\n")
		require.Contains(t, e.fails("create", "-f", bad), `The Pod "bad" is invalid: spec.containers: Required value`)
		unknown := e.file("unknown.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: u}\nbogus: 1\n")
		require.Contains(t, e.fails("create", "-f", unknown), `unknown field "bogus"`)
		r := e.run(nil, "create", "--validate=warn", "-f", unknown)
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, "configmap/u created\n", r.stdout)
		require.Equal(t, "Warning: unknown field \"bogus\"\n", r.stderr)
		e.ok("delete", "cm", "u")
		r = e.run(nil, "create", "--validate=false", "-f", unknown)
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, "", r.stderr)
		e.ok("delete", "cm", "u")
	})

	t.Run("create, apply twice and get", func(t *testing.T) {
		dep := e.file("dep.yaml", deploymentManifest)
		require.Equal(t, "deployment.apps/web created\n", e.ok("create", "-f", dep))
		require.Contains(t, e.fails("create", "-f", dep), `Error from server (AlreadyExists): error when creating "`+dep+`": deployments.apps "web" already exists`)
		out := e.ok("get", "deploy", "-o", "wide")
		require.Equal(t, []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"},
			strings.Fields(strings.Split(out, "\n")[0]))
		require.Equal(t, []string{"web", "0/2", "0", "0"}, tableRows(out)[0][:4])
		require.Equal(t, []string{"nginx", "nginx:1.27", "app=web"}, tableRows(out)[0][5:])

		require.Equal(t, "deployment.apps/web configured\n", e.ok("apply", "-f", dep))
		// The second apply is a strategic merge patch of the container list: it must keep ports.
		require.Equal(t, "deployment.apps/web configured\n",
			e.ok("apply", "-f", e.file("dep2.yaml", strings.Replace(deploymentManifest, "nginx:1.27", "nginx:1.28", 1))))
		require.Equal(t, `nginx:1.28 [{"containerPort":80,"protocol":"TCP"}]`,
			e.ok("get", "deploy", "web", "-o", `jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports}`))
		require.Equal(t, "deployment.apps/web unchanged\n", e.ok("apply", "-f", e.file("dep2.yaml", strings.Replace(deploymentManifest, "nginx:1.27", "nginx:1.28", 1))))
	})

	t.Run("imperative create sends protobuf bodies", func(t *testing.T) {
		require.Equal(t, "namespace/team created\n", e.ok("create", "namespace", "team"))
		require.Equal(t, "configmap/cm1 created\n", e.ok("create", "configmap", "cm1", "--from-literal=a=b", "-n", "team"))
		require.Equal(t, "b", e.ok("get", "cm", "cm1", "-n", "team", "-o", "jsonpath={.data.a}"))
		require.Equal(t, "secret/s1 created\n", e.ok("create", "secret", "generic", "s1", "--from-literal=x=y", "-n", "team"))
		require.Equal(t, "eQ==", e.ok("get", "secret", "s1", "-n", "team", "-o", "jsonpath={.data.x}"))
		out := e.ok("get", "secret", "-n", "team")
		require.Equal(t, []string{"s1", "Opaque", "1"}, tableRows(out)[0][:3])
		require.Equal(t, "deployment.apps/d2 created\n", e.ok("create", "deployment", "d2", "--image=busybox", "-n", "team"))
		require.Equal(t, "busybox", e.ok("get", "deploy", "d2", "-n", "team", "-o", "jsonpath={.spec.template.spec.containers[0].image}"))
	})

	t.Run("label, annotate and selectors", func(t *testing.T) {
		require.Equal(t, "deployment.apps/web labeled\n", e.ok("label", "deploy", "web", "tier=fe"))
		require.Equal(t, "deployment.apps/web annotated\n", e.ok("annotate", "deploy", "web", "note=hi"))
		out := e.ok("get", "deploy", "--show-labels")
		require.Contains(t, out, "app=web,tier=fe")
		require.Equal(t, "deployment.apps/web\n", e.ok("get", "deploy", "-l", "tier=fe", "-o", "name"))
		require.Equal(t, "deployment.apps/web\n", e.ok("get", "deploy", "-l", "tier in (fe,be)", "-o", "name"))
		require.Equal(t, "", e.ok("get", "deploy", "-l", "tier=none", "-o", "name"))
		out = e.ok("get", "deploy", "-A")
		require.Equal(t, "NAMESPACE", strings.Fields(out)[0])
		var namespaced []string
		for _, r := range tableRows(out) {
			namespaced = append(namespaced, r[0]+"/"+r[1])
		}
		require.ElementsMatch(t, []string{"default/web", "team/d2"}, namespaced)
		require.Equal(t, "hi", e.ok("get", "deploy", "web", "-o", "jsonpath={.metadata.annotations.note}"))
	})

	t.Run("patch with all three types", func(t *testing.T) {
		require.Equal(t, "deployment.apps/web patched\n", e.ok("patch", "deploy", "web", "--type=merge", "-p", `{"spec":{"replicas":4}}`))
		require.Equal(t, "4", e.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
		require.Equal(t, "deployment.apps/web patched\n", e.ok("patch", "deploy", "web", "--type=json", "-p", `[{"op":"replace","path":"/spec/replicas","value":5}]`))
		require.Equal(t, "5", e.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
		require.Equal(t, "deployment.apps/web patched\n", e.ok("patch", "deploy", "web", "-p",
			`{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.29"}]}}}}`))
		require.Equal(t, `nginx:1.29 80`, e.ok("get", "deploy", "web", "-o",
			`jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}`))
		require.Contains(t, e.fails("patch", "deploy", "web", "--type=json", "-p", `[{"op":"test","path":"/spec/replicas","value":9}]`), "Error from server (BadRequest)")
		require.Contains(t, e.fails("patch", "deploy", "web", "--type=merge", "-p", `{"spec":{"selector":null}}`), "is invalid")
	})

	t.Run("replace, conflict and edit", func(t *testing.T) {
		stale := e.file("web.yaml", e.ok("get", "deploy", "web", "-o", "yaml"))
		require.Equal(t, "deployment.apps/web replaced\n", e.ok("replace", "-f", stale))
		require.Contains(t, e.fails("replace", "-f", stale),
			`Error from server (Conflict): error when replacing "`+stale+`": Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again`)
		editor := e.file("editor.sh", "#!/bin/sh\nsed -i 's/replicas: [0-9]*/replicas: 7/' \"$1\"\n")
		require.NoError(t, os.Chmod(editor, 0o700))
		r := e.run([]string{"EDITOR=" + editor, "KUBE_EDITOR=" + editor}, "edit", "deploy", "web")
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, "deployment.apps/web edited\n", r.stdout)
		require.Equal(t, "7", e.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
	})

	t.Run("get -w sees an update", func(t *testing.T) {
		cmd := exec.Command(e.kubectl, "--kubeconfig", e.kubeconfig, "--cache-dir", filepath.Join(e.dir, "cache"),
			"get", "deploy", "web", "-w", "--request-timeout=30s")
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		lines := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		next := func() string {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "kubectl get -w ended")
				return l
			case <-time.After(20 * time.Second):
				t.Fatal("kubectl get -w printed nothing")
				return ""
			}
		}
		require.Equal(t, "NAME", strings.Fields(next())[0])
		require.Equal(t, "0/7", strings.Fields(next())[1])
		e.ok("patch", "deploy", "web", "--type=merge", "-p", `{"spec":{"replicas":3}}`)
		require.Equal(t, "0/3", strings.Fields(next())[1])
	})

	t.Run("pods: get -o wide, delete by name, -f and -l", func(t *testing.T) {
		pod := e.file("pod.yaml", podManifest)
		require.Equal(t, "pod/p1 created\n", e.ok("create", "-f", pod))
		out := e.ok("get", "pods", "-o", "wide")
		require.Equal(t, []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"},
			strings.Fields(strings.Split(out, "\n")[0]))
		require.Equal(t, []string{"p1", "0/1", "Pending", "0"}, tableRows(out)[0][:4])
		require.Contains(t, e.ok("get", "pods", "-A"), "default     p1")
		// Pod updates may change only a few spec fields: what kubectl sends back must not look like more.
		require.Equal(t, "pod/p1 image updated\n", e.ok("set", "image", "pod/p1", "c=busybox:1.37"))
		require.Equal(t, "pod/p1 labeled\n", e.ok("label", "pod", "p1", "x=y"))
		replaced := e.file("p1.yaml", strings.Replace(e.ok("get", "pod", "p1", "-o", "yaml"), "busybox:1.37", "busybox:1.36", 1))
		require.Equal(t, "pod/p1 replaced\n", e.ok("replace", "-f", replaced))
		require.Equal(t, "busybox:1.36", e.ok("get", "pod", "p1", "-o", "jsonpath={.spec.containers[0].image}"))
		// Status is written only through the status subresource.
		require.Equal(t, "pod/p1 patched\n", e.ok("patch", "pod", "p1", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Running","podIP":"127.0.0.5"}}`))
		require.Equal(t, []string{"p1", "0/1", "Running", "0"}, tableRows(e.ok("get", "pods", "-o", "wide"))[0][:4])
		require.Equal(t, "127.0.0.5", tableRows(e.ok("get", "pods", "-o", "wide"))[0][5])
		e.ok("patch", "pod", "p1", "--type=merge", "-p", `{"status":{"phase":"Failed"}}`)
		require.Equal(t, "Running", e.ok("get", "pod", "p1", "-o", "jsonpath={.status.phase}"))
		require.Equal(t, `pod "p1" deleted`+"\n", e.ok("delete", "-f", pod))
		require.Equal(t, "", e.ok("get", "pods", "-o", "name"))
		e.ok("create", "-f", pod)
		require.Equal(t, `pod "p1" deleted`+"\n", e.ok("delete", "pod", "p1", "--wait"))
		e.ok("create", "-f", pod)
		require.Equal(t, `pod "p1" deleted`+"\n", e.ok("delete", "pods", "-l", "app=p"))
		require.Contains(t, e.fails("delete", "pod", "p1"), `Error from server (NotFound): pods "p1" not found`)
		require.Equal(t, `deployment.apps "d2" deleted`+"\n", e.ok("delete", "deploy", "d2", "-n", "team"))
	})

	t.Run("describe deployment", func(t *testing.T) {
		out := e.ok("describe", "deploy", "web")
		require.Contains(t, out, "Name:                   web")
		require.Contains(t, out, "Image:      nginx:1.29")
	})

	t.Run("scale rc, rs and deployment through the scale subresource", func(t *testing.T) {
		rc := e.file("rc.yaml", "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: legacy}\nspec:\n  replicas: 2\n  selector: {app: legacy}\n"+
			"  template:\n    metadata: {labels: {app: legacy}}\n    spec:\n      containers: [{name: c, image: busybox}]\n")
		rs := e.file("rs.yaml", "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: front}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: front}}\n"+
			"  template:\n    metadata: {labels: {app: front}}\n    spec:\n      containers: [{name: c, image: busybox}]\n")
		e.ok("create", "-f", rc, "-f", rs)
		require.Equal(t, "replicationcontroller/legacy scaled\n", e.ok("scale", "rc", "legacy", "--replicas=4"))
		require.Equal(t, "replicaset.apps/front scaled\n", e.ok("scale", "rs", "front", "--replicas=3"))
		require.Equal(t, "deployment.apps/web scaled\n", e.ok("scale", "deploy", "web", "--current-replicas=3", "--replicas=2"))
		require.Contains(t, e.fails("scale", "deploy", "web", "--current-replicas=3", "--replicas=1"), "Expected replicas to be 3, was 2")
		require.Equal(t, "4 3 2", e.ok("get", "rc/legacy", "rs/front", "deploy/web", "-o", "jsonpath={.items[*].spec.replicas}"))
		out := e.ok("get", "rc", "legacy")
		require.Equal(t, []string{"legacy", "4", "0", "0"}, tableRows(out)[0][:4])
		out = e.ok("get", "all")
		require.Contains(t, out, "replicationcontroller/legacy")
		require.Contains(t, out, "replicaset.apps/front")
		require.Contains(t, out, "deployment.apps/web")
	})

	t.Run("nodes: get, describe, cordon, uncordon and drain", func(t *testing.T) {
		node := e.file("node.yaml", "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\n  labels: {node-role.kubernetes.io/worker: \"\"}\n"+
			"status:\n  conditions: [{type: Ready, status: \"True\"}]\n  nodeInfo: {kubeletVersion: v1.32.0}\n")
		e.ok("create", "-f", node)
		out := e.ok("get", "nodes")
		require.Equal(t, []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"}, strings.Fields(strings.Split(out, "\n")[0]))
		row := tableRows(out)[0]
		require.Equal(t, []string{"node-1", "Ready", "worker"}, row[:3])
		require.Equal(t, "v1.32.0", row[4])
		pod := e.file("bound.yaml", strings.Replace(podManifest, "spec:\n", "spec:\n  nodeName: node-1\n", 1))
		e.ok("create", "-f", pod)
		require.Contains(t, e.ok("describe", "node", "node-1"), "default                     p1")
		require.Contains(t, e.ok("describe", "pod", "p1"), "Node:         node-1/")
		require.Equal(t, "node/node-1 cordoned\n", e.ok("cordon", "node-1"))
		require.Equal(t, "Ready,SchedulingDisabled", tableRows(e.ok("get", "node", "node-1"))[0][1])
		require.Equal(t, "node/node-1 uncordoned\n", e.ok("uncordon", "node-1"))
		require.Equal(t, "Ready", tableRows(e.ok("get", "node", "node-1"))[0][1])
		out = e.ok("drain", "node-1", "--force", "--ignore-daemonsets", "--grace-period=0")
		require.Contains(t, out, "pod/p1 evicted")
		require.Contains(t, out, "node/node-1 drained")
		require.Equal(t, "", e.ok("get", "pods", "-o", "name"))
	})

	t.Run("events: field selectors and describe", func(t *testing.T) {
		pod := e.file("pod.yaml", podManifest)
		e.ok("create", "-f", pod)
		uid := e.ok("get", "pod", "p1", "-o", "jsonpath={.metadata.uid}")
		ev := e.file("event.yaml", "apiVersion: v1\nkind: Event\nmetadata: {name: p1.1}\n"+
			"involvedObject: {kind: Pod, namespace: default, name: p1, uid: "+uid+", apiVersion: v1}\n"+
			"reason: Pulled\nmessage: image pulled\nsource: {component: kubelet}\ntype: Normal\ncount: 1\n"+
			"firstTimestamp: \"2024-05-01T10:00:00Z\"\nlastTimestamp: \"2024-05-01T10:00:00Z\"\n")
		e.ok("create", "-f", ev)
		out := e.ok("get", "events", "--field-selector", "involvedObject.name=p1,involvedObject.kind=Pod")
		require.Equal(t, []string{"LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}, strings.Fields(strings.Split(out, "\n")[0]))
		require.Equal(t, []string{"Normal", "Pulled", "pod/p1", "image", "pulled"}, tableRows(out)[0][1:])
		require.Equal(t, "", e.ok("get", "events", "--field-selector", "involvedObject.name=other", "-o", "name"))
		require.Contains(t, e.ok("describe", "pod", "p1"), "Normal  Pulled")
		require.Equal(t, "pod/p1\n", e.ok("get", "pods", "--field-selector", "status.phase!=Running", "-o", "name"))
		// p1 is not scheduled: its log is empty, as in Kubernetes.
		require.Equal(t, "", e.ok("logs", "p1"))
		e.ok("delete", "-f", pod)
	})

	t.Run("server-side apply creates, updates and reports conflicts", func(t *testing.T) {
		api := e.file("api.yaml", strings.Replace(deploymentManifest, "name: web\n", "name: api\n", 1))
		require.Equal(t, "deployment.apps/api serverside-applied\n", e.ok("apply", "--server-side", "-f", api))
		require.Equal(t, "deployment.apps/api serverside-applied\n", e.ok("apply", "--server-side", "-f",
			e.file("api2.yaml", strings.Replace(strings.Replace(deploymentManifest, "name: web\n", "name: api\n", 1), "nginx:1.27", "nginx:1.28", 1))))
		require.Equal(t, `nginx:1.28 [{"containerPort":80,"protocol":"TCP"}]`,
			e.ok("get", "deploy", "api", "-o", `jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports}`))
		require.Equal(t, "kubectl", e.ok("get", "deploy", "api", "-o", "jsonpath={.metadata.managedFields[*].manager}"))
		other := e.file("api9.yaml", strings.Replace(strings.Replace(deploymentManifest, "name: web\n", "name: api\n", 1), "replicas: 2", "replicas: 9", 1))
		require.Contains(t, e.fails("apply", "--server-side", "--field-manager=other", "-f", other),
			"error: Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image\n")
		require.Equal(t, "deployment.apps/api serverside-applied\n", e.ok("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", other))
		require.Equal(t, "9", e.ok("get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"))
		// Ordinary writes are recorded too: after a scale, the applier no longer owns the replicas.
		e.ok("scale", "deploy", "api", "--replicas=4")
		require.Contains(t, e.fails("apply", "--server-side", "--field-manager=other", "-f", other),
			`error: Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas`)
		require.Equal(t, "kubectl-label Update", e.ok("get", "deploy", "web", "-o",
			`jsonpath={range .metadata.managedFields[?(@.manager=="kubectl-label")]}{.manager} {.operation}{end}`))
	})
}
