package rest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// printer is how a kind prints as Table rows: Kubernetes' own columns for it.
type printer struct {
	columns []tableColumn
	cells   func(o obj, now time.Time) []any
}

// obj is a Kubernetes JSON object with path accessors.
type obj map[string]any

func (o obj) get(path ...string) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (o obj) str(path ...string) string {
	s, _ := o.get(path...).(string)
	return s
}

func (o obj) num(path ...string) int64 {
	switch v := o.get(path...).(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case float64:
		return int64(v)
	}
	return 0
}

func (o obj) list(path ...string) []any {
	l, _ := o.get(path...).([]any)
	return l
}

func (o obj) obj(path ...string) obj {
	m, _ := o.get(path...).(map[string]any)
	return m
}

func col(name, typ, desc string) tableColumn {
	c := tableColumn{Name: name, Type: typ, Description: desc}
	if name == "Name" {
		c.Format = "name"
	}
	return c
}

func wide(name, typ, desc string) tableColumn {
	c := col(name, typ, desc)
	c.Priority = 1
	return c
}

var (
	nameCol = col("Name", "string", "Name must be unique within a namespace.")
	ageCol  = col("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.")
)

// printerFor returns the printer of a kind; kinds without their own print name and age.
func printerFor(kind string) printer {
	if p, ok := printers[kind]; ok {
		return p
	}
	return printer{
		columns: []tableColumn{nameCol, ageCol},
		cells:   func(o obj, now time.Time) []any { return []any{o.str("metadata", "name"), age(o, now)} },
	}
}

var printers = map[string]printer{
	"Pod": {
		columns: []tableColumn{nameCol,
			col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
			col("Status", "string", "The aggregate status of the containers in this pod."),
			col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
			ageCol,
			wide("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
			wide("Node", "string", "NodeName is a request to schedule this pod onto a specific node."),
			wide("Nominated Node", "string", "nominatedNodeName is set when this pod preempts other pods on the node."),
			wide("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness."),
		},
		cells: podCells,
	},
	"Node": {
		columns: []tableColumn{nameCol,
			col("Status", "string", "The status of the node"),
			col("Roles", "string", "The roles of the node"),
			ageCol,
			col("Version", "string", "Kubelet Version reported by the node."),
			wide("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available."),
			wide("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available."),
			wide("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
			wide("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
			wide("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
		},
		cells: nodeCells,
	},
	"Namespace": {
		columns: []tableColumn{nameCol, col("Status", "string", "The status of the namespace"), ageCol},
		cells: func(o obj, now time.Time) []any {
			return []any{o.str("metadata", "name"), o.str("status", "phase"), age(o, now)}
		},
	},
	"Service": {
		columns: []tableColumn{nameCol,
			col("Type", "string", "The type of service."),
			col("Cluster-IP", "string", "The cluster IP of the service."),
			col("External-IP", "string", "The external IP of the service."),
			col("Port(s)", "string", "The ports of the service."),
			ageCol,
			wide("Selector", "string", "The label selector of the service."),
		},
		cells: serviceCells,
	},
	"Endpoints": {
		columns: []tableColumn{nameCol, col("Endpoints", "string", "Endpoints of the service."), ageCol},
		cells:   endpointsCells,
	},
	"ConfigMap": {
		columns: []tableColumn{nameCol, col("Data", "string", "Data contains the configuration data."), ageCol},
		cells: func(o obj, now time.Time) []any {
			return []any{o.str("metadata", "name"), int64(len(o.obj("data")) + len(o.obj("binaryData"))), age(o, now)}
		},
	},
	"Secret": {
		columns: []tableColumn{nameCol, col("Type", "string", "The type of the secret."), col("Data", "string", "The number of data items."), ageCol},
		cells: func(o obj, now time.Time) []any {
			return []any{o.str("metadata", "name"), o.str("type"), int64(len(o.obj("data")) + len(o.obj("stringData"))), age(o, now)}
		},
	},
	"ServiceAccount": {
		columns: []tableColumn{nameCol, col("Secrets", "string", "Secrets is a list of the secrets in the same namespace."), ageCol},
		cells: func(o obj, now time.Time) []any {
			return []any{o.str("metadata", "name"), int64(len(o.list("secrets"))), age(o, now)}
		},
	},
	"ReplicationController": {
		columns: append([]tableColumn{nameCol,
			col("Desired", "integer", "Number of desired pods."),
			col("Current", "integer", "Number of actual replicas."),
			col("Ready", "integer", "The number of ready replicas for this replication controller."),
			ageCol,
		}, workloadWide...),
		cells: func(o obj, now time.Time) []any {
			return append([]any{o.str("metadata", "name"), o.num("spec", "replicas"), o.num("status", "replicas"),
				o.num("status", "readyReplicas"), age(o, now)}, workloadWideCells(o, mapSelector(o.obj("spec", "selector")))...)
		},
	},
	"ReplicaSet": {
		columns: append([]tableColumn{nameCol,
			col("Desired", "integer", "Number of desired pods."),
			col("Current", "integer", "Number of actual replicas."),
			col("Ready", "integer", "The number of ready replicas for this replica set."),
			ageCol,
		}, workloadWide...),
		cells: func(o obj, now time.Time) []any {
			return append([]any{o.str("metadata", "name"), o.num("spec", "replicas"), o.num("status", "replicas"),
				o.num("status", "readyReplicas"), age(o, now)}, workloadWideCells(o, labelSelector(o.obj("spec", "selector")))...)
		},
	},
	"Deployment": {
		columns: append([]tableColumn{nameCol,
			col("Ready", "string", "Number of the pod with ready state"),
			col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
			col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
			ageCol,
		}, workloadWide...),
		cells: func(o obj, now time.Time) []any {
			return append([]any{o.str("metadata", "name"),
				fmt.Sprintf("%d/%d", o.num("status", "readyReplicas"), o.num("spec", "replicas")),
				o.num("status", "updatedReplicas"), o.num("status", "availableReplicas"), age(o, now)},
				workloadWideCells(o, labelSelector(o.obj("spec", "selector")))...)
		},
	},
	"DaemonSet": {
		columns: append([]tableColumn{nameCol,
			col("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
			col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
			col("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
			col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
			col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
			col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node."),
			ageCol,
		}, workloadWide...),
		cells: func(o obj, now time.Time) []any {
			return append([]any{o.str("metadata", "name"),
				o.num("status", "desiredNumberScheduled"), o.num("status", "currentNumberScheduled"), o.num("status", "numberReady"),
				o.num("status", "updatedNumberScheduled"), o.num("status", "numberAvailable"),
				orNone(mapSelector(o.obj("spec", "template", "spec", "nodeSelector"))), age(o, now)},
				workloadWideCells(o, labelSelector(o.obj("spec", "selector")))...)
		},
	},
	"StatefulSet": {
		columns: []tableColumn{nameCol,
			col("Ready", "string", "Number of the pod with ready state"),
			ageCol,
			wide("Containers", "string", "Names of each container in the template."),
			wide("Images", "string", "Images referenced by each container in the template."),
		},
		cells: func(o obj, now time.Time) []any {
			names, images := containers(o.list("spec", "template", "spec", "containers"))
			return []any{o.str("metadata", "name"),
				fmt.Sprintf("%d/%d", o.num("status", "readyReplicas"), o.num("spec", "replicas")), age(o, now), names, images}
		},
	},
	"Job": {
		columns: append([]tableColumn{nameCol,
			col("Status", "string", "Status of the job."),
			col("Completions", "string", "The completion status of the job."),
			col("Duration", "string", "Time required to complete the job."),
			ageCol,
		}, workloadWide...),
		cells: jobCells,
	},
	"Event": {
		columns: []tableColumn{
			col("Last Seen", "string", "Time when last event occurred."),
			col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
			col("Reason", "string", "This should be a short, machine understandable string that gives the reason for this event being generated."),
			col("Object", "string", "The object this Event is about."),
			wide("Subobject", "string", "The subobject this Event is about."),
			wide("Source", "string", "The component reporting this event."),
			col("Message", "string", "A human-readable description of the status of this operation."),
			wide("First Seen", "string", "The time at which the event was first recorded."),
			wide("Count", "string", "The number of times this event has occurred."),
			{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace.", Priority: 1},
		},
		cells: eventCells,
	},
	"Lease": {
		columns: []tableColumn{nameCol, col("Holder", "string", "The holder of the lease."), ageCol},
		cells: func(o obj, now time.Time) []any {
			return []any{o.str("metadata", "name"), o.str("spec", "holderIdentity"), age(o, now)}
		},
	},
	"Role":               {columns: roleColumns, cells: roleCells},
	"ClusterRole":        {columns: roleColumns, cells: roleCells},
	"RoleBinding":        {columns: bindingColumns, cells: bindingCells},
	"ClusterRoleBinding": {columns: bindingColumns, cells: bindingCells},
	"ControllerRevision": {
		columns: []tableColumn{nameCol,
			col("Controller", "string", "Controller of the object."),
			col("Revision", "integer", "Revision is the revision number of the state represented by this ControllerRevision."),
			ageCol,
		},
		cells: func(o obj, now time.Time) []any {
			return []any{o.str("metadata", "name"), revisionController(o), o.num("revision"), age(o, now)}
		},
	},
	"CertificateSigningRequest": {
		columns: []tableColumn{nameCol, ageCol,
			col("SignerName", "string", "Only one signer can be used by a CSR (spec.signerName)."),
			col("Requestor", "string", "Name of the user which created the CSR (spec.username)."),
			col("RequestedDuration", "string", "The requested validity of the issued certificate (spec.expirationSeconds)."),
			col("Condition", "string", "The state of the CSR: Pending, Approved or Denied, then Failed and Issued."),
		},
		cells: csrCells,
	},
	"ResourceQuota": {
		columns: []tableColumn{nameCol, ageCol,
			col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
			col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
		},
		cells: quotaCells,
	},
}

// csrCells prints a certificate signing request as kubectl's printer does: the requested
// duration in the short human form, or <none>, and the condition Denied, Approved or Pending,
// followed by ",Failed" and ",Issued" when they hold.
func csrCells(o obj, now time.Time) []any {
	duration := "<none>"
	if _, ok := o.get("spec", "expirationSeconds").(json.Number); ok {
		duration = humanDuration(time.Duration(o.num("spec", "expirationSeconds")) * time.Second)
	}
	var approved, denied, failed bool
	for _, c := range o.list("status", "conditions") {
		switch obj(asMap(c)).str("type") {
		case "Approved":
			approved = true
		case "Denied":
			denied = true
		case "Failed":
			failed = true
		}
	}
	cond := "Pending"
	if denied {
		cond = "Denied"
	} else if approved {
		cond = "Approved"
	}
	if failed {
		cond += ",Failed"
	}
	if o.str("status", "certificate") != "" {
		cond += ",Issued"
	}
	return []any{o.str("metadata", "name"), age(o, now), o.str("spec", "signerName"), o.str("spec", "username"), duration, cond}
}

// revisionController names a controller revision's controlling owner as kubectl does,
// <kind>.<group>/<name> ("statefulset.apps/web"), or "<none>".
func revisionController(o obj) string {
	for _, r := range o.list("metadata", "ownerReferences") {
		ref := obj(asMap(r))
		if c, _ := ref.get("controller").(bool); !c {
			continue
		}
		kind := strings.ToLower(ref.str("kind"))
		if g, _, ok := strings.Cut(ref.str("apiVersion"), "/"); ok {
			kind += "." + g
		}
		return kind + "/" + ref.str("name")
	}
	return "<none>"
}

var workloadWide = []tableColumn{
	wide("Containers", "string", "Names of each container in the template."),
	wide("Images", "string", "Images referenced by each container in the template."),
	wide("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
}

func workloadWideCells(o obj, selector string) []any {
	names, images := containers(o.list("spec", "template", "spec", "containers"))
	return []any{names, images, selector}
}

func containers(list []any) (names, images string) {
	var n, i []string
	for _, c := range list {
		co := obj(asMap(c))
		n = append(n, co.str("name"))
		i = append(i, co.str("image"))
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// mapSelector prints a map selector as k=v pairs in key order.
func mapSelector(m obj) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+fmt.Sprint(m[k]))
	}
	return strings.Join(parts, ",")
}

// labelSelector prints a meta/v1 LabelSelector as Kubernetes does.
func labelSelector(sel obj) string {
	if sel == nil {
		return "<none>"
	}
	parts := []string{}
	if ml := mapSelector(sel.obj("matchLabels")); ml != "" {
		parts = append(parts, ml)
	}
	for _, e := range sel.list("matchExpressions") {
		r := obj(asMap(e))
		var vals []string
		for _, v := range r.list("values") {
			vals = append(vals, fmt.Sprint(v))
		}
		switch r.str("operator") {
		case "In":
			parts = append(parts, r.str("key")+" in ("+strings.Join(vals, ",")+")")
		case "NotIn":
			parts = append(parts, r.str("key")+" notin ("+strings.Join(vals, ",")+")")
		case "Exists":
			parts = append(parts, r.str("key"))
		case "DoesNotExist":
			parts = append(parts, "!"+r.str("key"))
		}
	}
	if len(parts) == 0 {
		return "<none>"
	}
	return strings.Join(parts, ",")
}

func podCells(o obj, now time.Time) []any {
	specContainers := o.list("spec", "containers")
	reason := o.str("status", "phase")
	if r := o.str("status", "reason"); r != "" {
		reason = r
	}
	ready, restarts := 0, int64(0)
	for i := len(o.list("status", "containerStatuses")) - 1; i >= 0; i-- {
		cs := obj(asMap(o.list("status", "containerStatuses")[i]))
		restarts += cs.num("restartCount")
		switch {
		case cs.str("state", "waiting", "reason") != "":
			reason = cs.str("state", "waiting", "reason")
		case cs.str("state", "terminated", "reason") != "":
			reason = cs.str("state", "terminated", "reason")
		case cs.obj("state", "terminated") != nil:
			reason = fmt.Sprintf("ExitCode:%d", cs.num("state", "terminated", "exitCode"))
		}
		if cs.get("ready") == true && cs.obj("state", "running") != nil {
			ready++
		}
	}
	if o.str("metadata", "deletionTimestamp") != "" {
		reason = "Terminating"
		if o.str("status", "reason") == "NodeLost" {
			reason = "Unknown"
		}
	}
	ip := o.str("status", "podIP")
	if ip == "" {
		ip = "<none>"
	}
	gates := "<none>"
	if g := o.list("spec", "readinessGates"); len(g) > 0 {
		gates = fmt.Sprintf("0/%d", len(g))
	}
	return []any{o.str("metadata", "name"), fmt.Sprintf("%d/%d", ready, len(specContainers)), reason,
		strconv.FormatInt(restarts, 10), age(o, now), ip, orNone(o.str("spec", "nodeName")),
		orNone(o.str("status", "nominatedNodeName")), gates}
}

func nodeCells(o obj, now time.Time) []any {
	var conds []string
	for _, c := range o.list("status", "conditions") {
		co := obj(asMap(c))
		if co.str("type") == "Ready" {
			if co.str("status") == "True" {
				conds = append(conds, "Ready")
			} else {
				conds = append(conds, "NotReady")
			}
		}
	}
	if len(conds) == 0 {
		conds = append(conds, "Unknown")
	}
	if o.get("spec", "unschedulable") == true {
		conds = append(conds, "SchedulingDisabled")
	}
	var roles []string
	for k := range o.obj("metadata", "labels") {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	role := "<none>"
	if len(roles) > 0 {
		role = strings.Join(roles, ",")
	}
	internal, external := "<none>", "<none>"
	for _, a := range o.list("status", "addresses") {
		ao := obj(asMap(a))
		switch ao.str("type") {
		case "InternalIP":
			if internal == "<none>" {
				internal = ao.str("address")
			}
		case "ExternalIP":
			if external == "<none>" {
				external = ao.str("address")
			}
		}
	}
	info := o.obj("status", "nodeInfo")
	return []any{o.str("metadata", "name"), strings.Join(conds, ","), role, age(o, now), info.str("kubeletVersion"),
		internal, external, orUnknown(info.str("osImage")), orUnknown(info.str("kernelVersion")), orUnknown(info.str("containerRuntimeVersion"))}
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

func serviceCells(o obj, now time.Time) []any {
	typ := o.str("spec", "type")
	if typ == "" {
		typ = "ClusterIP"
	}
	clusterIP := o.str("spec", "clusterIP")
	if clusterIP == "" {
		clusterIP = "<none>"
	}
	var ext []string
	for _, e := range o.list("spec", "externalIPs") {
		ext = append(ext, fmt.Sprint(e))
	}
	switch typ {
	case "LoadBalancer":
		for _, in := range o.list("status", "loadBalancer", "ingress") {
			io := obj(asMap(in))
			if io.str("ip") != "" {
				ext = append(ext, io.str("ip"))
			} else if io.str("hostname") != "" {
				ext = append(ext, io.str("hostname"))
			}
		}
		if len(ext) == 0 {
			ext = []string{"<pending>"}
		}
	case "ExternalName":
		ext = append(ext, o.str("spec", "externalName"))
	}
	extIP := "<none>"
	if len(ext) > 0 {
		extIP = strings.Join(ext, ",")
	}
	var ports []string
	for _, p := range o.list("spec", "ports") {
		po := obj(asMap(p))
		proto := po.str("protocol")
		if proto == "" {
			proto = "TCP"
		}
		if np := po.num("nodePort"); np != 0 {
			ports = append(ports, fmt.Sprintf("%d:%d/%s", po.num("port"), np, proto))
		} else {
			ports = append(ports, fmt.Sprintf("%d/%s", po.num("port"), proto))
		}
	}
	portStr := "<none>"
	if len(ports) > 0 {
		portStr = strings.Join(ports, ",")
	}
	return []any{o.str("metadata", "name"), typ, clusterIP, extIP, portStr, age(o, now), orNone(mapSelector(o.obj("spec", "selector")))}
}

func endpointsCells(o obj, now time.Time) []any {
	var eps []string
	for _, s := range o.list("subsets") {
		so := obj(asMap(s))
		for _, a := range so.list("addresses") {
			ip := obj(asMap(a)).str("ip")
			if len(so.list("ports")) == 0 {
				eps = append(eps, ip)
			}
			for _, p := range so.list("ports") {
				eps = append(eps, fmt.Sprintf("%s:%d", ip, obj(asMap(p)).num("port")))
			}
		}
	}
	out := "<none>"
	if len(eps) > 3 {
		out = strings.Join(eps[:3], ",") + fmt.Sprintf(" + %d more...", len(eps)-3)
	} else if len(eps) > 0 {
		out = strings.Join(eps, ",")
	}
	return []any{o.str("metadata", "name"), out, age(o, now)}
}

func jobCells(o obj, now time.Time) []any {
	completions := fmt.Sprintf("%d/%d", o.num("status", "succeeded"), o.num("spec", "completions"))
	if o.get("spec", "completions") == nil {
		completions = fmt.Sprintf("%d/1 of %d", o.num("status", "succeeded"), max(o.num("spec", "parallelism"), 1))
		if o.get("spec", "parallelism") == nil {
			completions = fmt.Sprintf("%d/1", o.num("status", "succeeded"))
		}
	}
	status := "Running"
	for _, c := range o.list("status", "conditions") {
		co := obj(asMap(c))
		if co.str("status") != "True" {
			continue
		}
		switch co.str("type") {
		case "Complete":
			status = "Complete"
		case "Failed":
			status = "Failed"
		case "Suspended":
			status = "Suspended"
		}
	}
	duration := ""
	if start, err := time.Parse(time.RFC3339, o.str("status", "startTime")); err == nil {
		end := now
		if done, err := time.Parse(time.RFC3339, o.str("status", "completionTime")); err == nil {
			end = done
		}
		duration = humanDuration(end.Sub(start))
	}
	return append([]any{o.str("metadata", "name"), status, completions, duration, age(o, now)},
		workloadWideCells(o, labelSelector(o.obj("spec", "selector")))...)
}

func eventCells(o obj, now time.Time) []any {
	last := o.str("lastTimestamp")
	if last == "" {
		last = o.str("eventTime")
	}
	first := o.str("firstTimestamp")
	if first == "" {
		first = last
	}
	since := func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "<unknown>"
		}
		return humanDuration(now.Sub(t))
	}
	involved := o.obj("involvedObject")
	target := strings.ToLower(involved.str("kind")) + "/" + involved.str("name")
	source := o.str("source", "component")
	if h := o.str("source", "host"); h != "" {
		source += ", " + h
	}
	count := o.num("count")
	return []any{since(last), o.str("type"), o.str("reason"), target, involved.str("fieldPath"), source,
		strings.TrimSpace(o.str("message")), since(first), count, o.str("metadata", "name")}
}

func quotaCells(o obj, now time.Time) []any {
	var req, lim []string
	hard, used := o.obj("status", "hard"), o.obj("status", "used")
	keys := make([]string, 0, len(hard))
	for k := range hard {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pair := fmt.Sprintf("%s: %v/%v", k, orZero(used[k]), hard[k])
		if strings.HasPrefix(k, "limits.") {
			lim = append(lim, pair)
		} else {
			req = append(req, pair)
		}
	}
	return []any{o.str("metadata", "name"), age(o, now), strings.Join(req, ", "), strings.Join(lim, ", ")}
}

func orZero(v any) any {
	if v == nil {
		return "0"
	}
	return v
}

// age prints the time since creation as kubectl does.
func age(o obj, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, o.str("metadata", "creationTimestamp"))
	if err != nil {
		return "<unknown>"
	}
	return humanDuration(now.Sub(t))
}

// humanDuration is apimachinery's duration.HumanDuration: two significant units at most.
func humanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		s := int(d/time.Second) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", minutes)
		}
		return fmt.Sprintf("%dm%ds", minutes, s)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	if hours < 8 {
		m := int(d/time.Minute) % 60
		if m == 0 {
			return fmt.Sprintf("%dh", hours)
		}
		return fmt.Sprintf("%dh%dm", hours, m)
	} else if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	} else if hours < 24*8 {
		h := hours % 24
		if h == 0 {
			return fmt.Sprintf("%dd", hours/24)
		}
		return fmt.Sprintf("%dd%dh", hours/24, h)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*8 {
		dy := int(hours/24) % 365
		if dy == 0 {
			return fmt.Sprintf("%dy", hours/24/365)
		}
		return fmt.Sprintf("%dy%dd", hours/24/365, dy)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}
