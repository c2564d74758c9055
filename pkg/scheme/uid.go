package scheme

import (
	"strings"

	"github.com/google/uuid"
)

// CreateUID returns the metadata.uid the apiserver gives a new object of kind k named name in
// namespace ("" when cluster-scoped) when the create request proposes the uid proposal: a
// name-based (SHA-1) UUID of the proposal and the object's identity. The proposal itself never
// becomes a uid, so no client can give its object the uid of another one (which garbage collection
// and preconditions take as the same object); a client that retries a create whose outcome it did
// not see computes the same uid and so recognises its own object. Only a client that reuses its own
// proposal for a name it created before gets a uid that existed before.
func CreateUID(k *Kind, namespace, name, proposal string) string {
	id := strings.Join([]string{"keelson.dev/create-uid", k.Group, k.Resource, namespace, name, proposal}, "\x00")
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(id)).String()
}
