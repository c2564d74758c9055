package statefulset

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// HashLabel is the label a controller revision carries with the hash of its data.
const HashLabel = "controller.kubernetes.io/hash"

// revisions is a set's template history as the sync needs it.
type revisions struct {
	// all are the revisions the set controls, oldest first.
	all []*appsv1.ControllerRevision
	// current is the revision the set's pods ran before the update in progress (update when there
	// is none); update is the revision of the set's template now.
	current, update *appsv1.ControllerRevision
	// currentTemplate and updateTemplate are their templates.
	currentTemplate, updateTemplate *corev1.PodTemplateSpec
	collisionCount                  int32
}

// revisionData returns the snapshot of set's template that a revision stores: Kubernetes' patch
// {"spec":{"template":{...,"$patch":"replace"}}}, which `kubectl rollout undo` applies.
func revisionData(set *appsv1.StatefulSet) ([]byte, error) {
	tmpl, err := kubejson.MessageToMap(set.GetSpec().GetTemplate())
	if err != nil {
		return nil, fmt.Errorf("encode the template of stateful set %s: %w", scheme.Key(set), err)
	}
	tmpl["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
}

// templateOf decodes the template a revision stores.
func templateOf(cr *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	var data struct {
		Spec struct {
			Template map[string]any `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(cr.GetData(), &data); err != nil {
		return nil, fmt.Errorf("controller revision %s: data: %w", scheme.Key(cr), err)
	}
	delete(data.Spec.Template, "$patch")
	tmpl := &corev1.PodTemplateSpec{}
	if err := kubejson.MapToMessage(data.Spec.Template, tmpl, kubejson.DecodeOptions{}); err != nil {
		return nil, fmt.Errorf("controller revision %s: template: %w", scheme.Key(cr), err)
	}
	return tmpl, nil
}

// safeAlphabet holds the characters a revision hash is written in, as Kubernetes writes them: no
// vowels (no words) and no look-alike characters.
const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// revisionHash hashes data and the collision count (when set) into a short name suffix.
func revisionHash(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil {
		h.Write([]byte(strconv.Itoa(int(*collisionCount))))
	}
	digits := strconv.FormatUint(uint64(h.Sum32()), 10)
	out := make([]byte, len(digits))
	for i := range len(digits) {
		out[i] = safeAlphabet[int(digits[i])%len(safeAlphabet)]
	}
	return string(out)
}

// revisionsOf returns set's history with the revision of its template now, which it writes when
// the history lacks it. A set whose template returns to an earlier revision's moves that revision
// to the top of the history, as Kubernetes does.
func (c *Controller) revisionsOf(ctx context.Context, set *appsv1.StatefulSet) (*revisions, error) {
	sm := set.GetMetadata()
	r := &revisions{collisionCount: set.GetStatus().GetCollisionCount()}
	for _, cr := range c.revisions.Lister().ListNamespace(sm.GetNamespace()) {
		if ref := controllerRef(cr.GetMetadata()); ref != nil && ref.GetUid() == sm.GetUid() {
			r.all = append(r.all, cr)
		}
	}
	slices.SortFunc(r.all, func(a, b *appsv1.ControllerRevision) int {
		return cmp.Or(cmp.Compare(a.GetRevision(), b.GetRevision()), cmp.Compare(a.GetMetadata().GetName(), b.GetMetadata().GetName()))
	})
	data, err := revisionData(set)
	if err != nil {
		return nil, err
	}
	var top int64
	if n := len(r.all); n > 0 {
		top = r.all[n-1].GetRevision()
	}
	for _, cr := range r.all {
		if bytes.Equal(cr.GetData(), data) {
			r.update = cr
		}
	}
	switch {
	case r.update != nil && r.update.GetRevision() < top:
		next := r.update.CloneVT()
		next.Revision = top + 1
		updated, err := c.client.ControllerRevisions(sm.GetNamespace()).Update(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("move controller revision %s to revision %d: %w", scheme.Key(next), top+1, err)
		}
		r.update = updated
	case r.update == nil:
		created, err := c.createRevision(ctx, set, data, top+1, &r.collisionCount)
		if err != nil {
			return r, err
		}
		r.update = created
		r.all = append(r.all, created)
	}
	if r.updateTemplate, err = templateOf(r.update); err != nil {
		return nil, err
	}
	r.current, r.currentTemplate = r.update, r.updateTemplate
	for _, cr := range r.all {
		if cr.GetMetadata().GetName() == set.GetStatus().GetCurrentRevision() && cr != r.update {
			tmpl, err := templateOf(cr)
			if err != nil {
				return nil, err
			}
			r.current, r.currentTemplate = cr, tmpl
		}
	}
	return r, nil
}

// createRevision writes the revision of data for set. A revision of that name that holds other
// data is a hash collision: it bumps *collisionCount, which names the next attempt differently,
// and fails so that the set is synced again.
func (c *Controller) createRevision(ctx context.Context, set *appsv1.StatefulSet, data []byte, revision int64, collisionCount *int32) (*appsv1.ControllerRevision, error) {
	sm := set.GetMetadata()
	hash := revisionHash(data, collisionCount)
	l := maps.Clone(set.GetSpec().GetTemplate().GetMetadata().GetLabels())
	if l == nil {
		l = map[string]string{}
	}
	l[HashLabel] = hash
	cr := &appsv1.ControllerRevision{
		Metadata: &metav1.ObjectMeta{
			Name: sm.GetName() + "-" + hash, Namespace: sm.GetNamespace(), Labels: l,
			OwnerReferences: []*metav1.OwnerReference{ownerReference(set)},
		},
		Data: data, Revision: revision,
	}
	res := c.client.ControllerRevisions(sm.GetNamespace())
	created, err := res.Create(ctx, cr)
	if err == nil {
		return created, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create controller revision %s: %w", scheme.Key(cr), err)
	}
	existing, getErr := res.Get(ctx, cr.GetMetadata().GetName())
	if getErr != nil {
		return nil, fmt.Errorf("read controller revision %s: %w", scheme.Key(cr), getErr)
	}
	if ref := controllerRef(existing.GetMetadata()); ref != nil && ref.GetUid() == sm.GetUid() && bytes.Equal(existing.GetData(), data) {
		return existing, nil // written by an earlier sync the cache has not seen yet
	}
	*collisionCount++
	return nil, fmt.Errorf("controller revision %s exists with other data: hash collision %d", scheme.Key(cr), *collisionCount)
}

// truncateHistory deletes the oldest revisions beyond spec.revisionHistoryLimit (default 10) that
// neither a pod nor the set's current revision (as its status now says) or update revision uses.
func (c *Controller) truncateHistory(ctx context.Context, set *appsv1.StatefulSet, r *revisions, current string, pods []*corev1.Pod) error {
	limit := 10
	if l := set.GetSpec().RevisionHistoryLimit; l != nil {
		limit = int(*l)
	}
	live := map[string]bool{current: true, r.update.GetMetadata().GetName(): true}
	for _, p := range pods {
		live[p.GetMetadata().GetLabels()[RevisionLabel]] = true
	}
	var old []*appsv1.ControllerRevision
	for _, cr := range r.all {
		if !live[cr.GetMetadata().GetName()] {
			old = append(old, cr)
		}
	}
	for _, cr := range old[:max(0, len(old)-limit)] {
		err := c.client.ControllerRevisions(cr.GetMetadata().GetNamespace()).Delete(ctx, cr.GetMetadata().GetName())
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old controller revision %s: %w", scheme.Key(cr), err)
		}
	}
	return nil
}
