package clusterpki

// Identity is a client certificate's subject: the user (CN) and its groups (O).
type Identity struct {
	User   string
	Groups []string
}

// The identities of the cluster's components, as Kubernetes names them.
var (
	// Admin is the cluster administrator: in system:masters, which may do everything.
	Admin = Identity{User: "keelson-admin", Groups: []string{"system:masters"}}
	// Scheduler, ControllerManager and Proxy are the control-plane daemons.
	Scheduler         = Identity{User: "system:kube-scheduler"}
	ControllerManager = Identity{User: "system:kube-controller-manager"}
	Proxy             = Identity{User: "system:kube-proxy"}
	// APIServer is the API server as a client, of kubelets and of etcd. Kubelets authorize it by
	// its CA, not by a group.
	APIServer = Identity{User: "system:apiserver"}
)

// Node returns the identity of the kubelet of node: system:node:<node> in system:nodes.
func Node(node string) Identity {
	return Identity{User: "system:node:" + node, Groups: []string{"system:nodes"}}
}

// Names of the key pairs and kubeconfigs a cluster's directory holds.
const (
	CAName                = "ca"
	APIServerName         = "apiserver"
	APIServerClientName   = "apiserver-kubelet-client"
	AdminName             = "admin"
	SchedulerName         = "kube-scheduler"
	ControllerManagerName = "kube-controller-manager"
	ProxyName             = "kube-proxy"
	ServiceAccountName    = "sa"
)

// KubeletName returns the name of node's kubelet client key pair and kubeconfig.
func KubeletName(node string) string { return "kubelet-" + node }

// KubeletServingName returns the name of node's kubelet serving key pair.
func KubeletServingName(node string) string { return "kubelet-" + node + "-serving" }
