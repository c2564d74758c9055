package client

// GetOptions qualify a Get.
type GetOptions struct {
	// ResourceVersion "" reads the latest state; "0" accepts the apiserver's cache; any other value
	// reads that revision.
	ResourceVersion string
}

// ListOptions qualify a List or a Watch.
type ListOptions struct {
	LabelSelector string
	FieldSelector string
	// Limit and Continue page a List.
	Limit    int64
	Continue string
	// ResourceVersion: for List, "" is a consistent read, "0" accepts the cache, anything else is
	// that revision; for Watch, "" or "0" starts with the current state, anything else resumes
	// after that revision.
	ResourceVersion string
	// AllowBookmarks asks a Watch for periodic BOOKMARK events carrying the latest revision.
	AllowBookmarks bool
	// SendInitialEvents asks a Watch for the current state, then a BOOKMARK ending it.
	SendInitialEvents bool
	// TimeoutSeconds ends a Watch after that many seconds.
	TimeoutSeconds int64
}

// CreateOptions qualify a Create.
type CreateOptions struct {
	DryRun       bool
	FieldManager string
}

// UpdateOptions qualify an Update or UpdateStatus.
type UpdateOptions struct {
	DryRun       bool
	FieldManager string
}

// PatchType is a patch's content type.
type PatchType string

// The patch types.
const (
	MergePatch     PatchType = "application/merge-patch+json"
	JSONPatch      PatchType = "application/json-patch+json"
	StrategicPatch PatchType = "application/strategic-merge-patch+json"
	ApplyPatch     PatchType = "application/apply-patch+yaml"
)

// PatchOptions qualify a Patch.
type PatchOptions struct {
	// Subresource "" patches the object, "status" its status.
	Subresource  string
	DryRun       bool
	FieldManager string
	Force        bool
}

// Propagation policies for DeleteOptions.
const (
	DeleteOrphan     = "Orphan"
	DeleteBackground = "Background"
	DeleteForeground = "Foreground"
)

// DeleteOptions qualify a Delete.
type DeleteOptions struct {
	// GracePeriodSeconds overrides a pod's terminationGracePeriodSeconds; 0 deletes at once.
	GracePeriodSeconds *int64
	// PreconditionUID and PreconditionResourceVersion must match the stored object.
	PreconditionUID             string
	PreconditionResourceVersion string
	PropagationPolicy           string
	DryRun                      bool
}

func first[T any](opts []T) T {
	var zero T
	if len(opts) > 0 {
		return opts[0]
	}
	return zero
}
