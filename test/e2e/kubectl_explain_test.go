package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKubectlExplain drives the real kubectl's explain, which reads nothing but the schemas of the
// apiserver's /openapi/v3 documents.
func TestKubectlExplain(t *testing.T) {
	e := startKubectlEnv(t)

	t.Run("pods lists the top-level fields with their types", func(t *testing.T) {
		out := e.ok("explain", "pods")
		require.Contains(t, out, "KIND:       Pod\nVERSION:    v1\n")
		for _, field := range []string{
			"apiVersion\t<string>", "kind\t<string>", "metadata\t<ObjectMeta>", "spec\t<PodSpec>", "status\t<PodStatus>",
		} {
			require.Contains(t, out, "\n  "+field+"\n")
		}
	})

	t.Run("a nested list field", func(t *testing.T) {
		out := e.ok("explain", "pod.spec.containers")
		require.Contains(t, out, "FIELD: containers <[]Container>\n")
		for _, field := range []string{
			"name\t<string>", "image\t<string>", "args\t<[]string>", "ports\t<[]ContainerPort>",
			"resources\t<ResourceRequirements>", "livenessProbe\t<Probe>", "stdin\t<boolean>",
		} {
			require.Contains(t, out, "\n  "+field+"\n")
		}
		out = e.ok("explain", "pod.spec.containers.resources")
		require.Contains(t, out, "\n  limits\t<map[string]Quantity>\n")
	})

	t.Run("recursive explain of a deployment's pod template", func(t *testing.T) {
		out := e.ok("explain", "deployment.spec.template", "--recursive")
		require.Contains(t, out, "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n")
		require.Contains(t, out, "FIELD: template <PodTemplateSpec>\n")
		for _, line := range []string{
			"  metadata\t<ObjectMeta>",
			"    creationTimestamp\t<string>",
			"    labels\t<map[string]string>",
			"  spec\t<PodSpec>",
			"    containers\t<[]Container>",
			"      ports\t<[]ContainerPort>",
			"        containerPort\t<integer>",
			"          port\t<IntOrString>",
			"        limits\t<map[string]Quantity>",
		} {
			require.Contains(t, out, "\n"+line+"\n")
		}
	})

	t.Run("every served resource explains", func(t *testing.T) {
		for _, r := range strings.Fields(e.ok("api-resources", "-o", "name")) {
			require.Contains(t, e.ok("explain", r), "FIELDS:\n", "kubectl explain %s", r)
		}
	})

	t.Run("an unknown field is an error", func(t *testing.T) {
		require.Contains(t, e.fails("explain", "pod.spec.nope"), `field "nope" does not exist`)
	})
}
