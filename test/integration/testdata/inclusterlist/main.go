// Command inclusterlist is a client-go program meant to run inside a pod: it builds its client
// from the in-cluster configuration (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT from the
// environment, the token and ca.crt mounted at /var/run/secrets/kubernetes.io/serviceaccount) and
// lists the pods of the namespace mounted beside them, again every -interval for -for, printing
// one line per attempt:
//
//	pods <name> <name> ...           the list succeeded (names sorted)
//	status <code> <reason>: <msg>    the apiserver refused it with a Status
//	error <msg>                      no answer the apiserver decided (connection, TLS, ...)
//
// The integration tests build it and run it as a pod's container; it exits 0 after -for, or 1
// when the in-cluster configuration cannot be read.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// namespaceFile is where the kubelet mounts the pod's namespace, beside the token.
const namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

func main() {
	interval := flag.Duration("interval", 200*time.Millisecond, "pause between two lists")
	duration := flag.Duration("for", 2*time.Minute, "how long to keep listing")
	flag.Parse()
	if err := run(*interval, *duration); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(interval, duration time.Duration) error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return fmt.Errorf("in-cluster configuration: %w", err)
	}
	ns, err := os.ReadFile(namespaceFile)
	if err != nil {
		return fmt.Errorf("read the pod's namespace: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fmt.Println(list(ctx, cs, strings.TrimSpace(string(ns))))
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// list lists the pods of namespace once and describes the outcome in one line.
func list(ctx context.Context, cs kubernetes.Interface, namespace string) string {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pods, err := cs.CoreV1().Pods(namespace).List(rctx, metav1.ListOptions{})
	var st apierrors.APIStatus
	switch {
	case errors.As(err, &st):
		s := st.Status()
		return fmt.Sprintf("status %d %s: %s", s.Code, s.Reason, s.Message)
	case err != nil:
		return "error " + err.Error()
	}
	names := make([]string, 0, len(pods.Items))
	for _, p := range pods.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return strings.Join(append([]string{"pods"}, names...), " ")
}
