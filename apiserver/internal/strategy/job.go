package strategy

import (
	"cmp"
	"maps"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// The labels a job's generated selector uses, as Kubernetes spells them.
const (
	jobControllerUIDLabel       = "batch.kubernetes.io/controller-uid"
	jobLegacyControllerUIDLabel = "controller-uid"
	jobNameLabel                = "batch.kubernetes.io/job-name"
	jobLegacyNameLabel          = "job-name"
)

// jobStrategy holds the rules of batch/v1 jobs.
type jobStrategy struct{ noPrepare }

// Default sets completions and parallelism 1, backoffLimit 6, completionMode NonIndexed,
// suspend false, the pod replacement policy, status True in the pod failure policy's condition
// patterns, the job's labels from its template's and the template's pod defaults. Unless
// manualSelector is true it generates the selector from the job's uid, as Kubernetes does; the
// store sets metadata.uid before it calls Default.
func (jobStrategy) Default(obj scheme.Object) {
	job := obj.(*batchv1.Job)
	if job.Spec == nil {
		job.Spec = &batchv1.JobSpec{}
	}
	s := job.Spec
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = proto.Int32(1)
	}
	if s.Parallelism == nil {
		s.Parallelism = proto.Int32(1)
	}
	if s.BackoffLimit == nil {
		if s.BackoffLimitPerIndex != nil {
			s.BackoffLimit = proto.Int32(math.MaxInt32)
		} else {
			s.BackoffLimit = proto.Int32(6)
		}
	}
	if s.CompletionMode == nil {
		s.CompletionMode = proto.String("NonIndexed")
	}
	if s.Suspend == nil {
		s.Suspend = proto.Bool(false)
	}
	if s.PodReplacementPolicy == nil {
		if s.PodFailurePolicy != nil {
			s.PodReplacementPolicy = proto.String("Failed")
		} else {
			s.PodReplacementPolicy = proto.String("TerminatingOrFailed")
		}
	}
	for _, rule := range s.GetPodFailurePolicy().GetRules() {
		for _, pattern := range rule.GetOnPodConditions() {
			setString(&pattern.Status, "True")
		}
	}
	// A job without labels takes its template's. Kubernetes copies them when it decodes the job,
	// before it generates the selector, and again when it reads the job back, by then with the
	// generated labels: so the user's template labels when there are any, else the generated ones.
	given := maps.Clone(s.GetTemplate().GetMetadata().GetLabels())
	if s.ManualSelector == nil || !*s.ManualSelector {
		generateJobSelector(job)
	}
	if len(job.GetMetadata().GetLabels()) == 0 {
		if len(given) == 0 {
			given = maps.Clone(s.GetTemplate().GetMetadata().GetLabels())
		}
		if len(given) > 0 {
			if job.Metadata == nil {
				job.Metadata = &metav1.ObjectMeta{}
			}
			job.Metadata.Labels = given
		}
	}
	defaultTemplate(s.Template)
}

// generateJobSelector labels the template with the job's name and uid and selects on the uid. A
// label the user set is left alone; validation rejects it if it does not match.
func generateJobSelector(job *batchv1.Job) {
	uid := job.GetMetadata().GetUid()
	if uid == "" {
		return
	}
	s := job.Spec
	if s.Template == nil {
		s.Template = &corev1.PodTemplateSpec{}
	}
	if s.Template.Metadata == nil {
		s.Template.Metadata = &metav1.ObjectMeta{}
	}
	if s.Template.Metadata.Labels == nil {
		s.Template.Metadata.Labels = map[string]string{}
	}
	tl := s.Template.Metadata.Labels
	for k, v := range map[string]string{
		jobLegacyNameLabel: job.GetMetadata().GetName(), jobNameLabel: job.GetMetadata().GetName(),
		jobLegacyControllerUIDLabel: uid, jobControllerUIDLabel: uid,
	} {
		if _, ok := tl[k]; !ok {
			tl[k] = v
		}
	}
	if s.Selector == nil {
		s.Selector = &metav1.LabelSelector{}
	}
	if s.Selector.MatchLabels == nil {
		s.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := s.Selector.MatchLabels[jobControllerUIDLabel]; !ok {
		s.Selector.MatchLabels[jobControllerUIDLabel] = uid
	}
}

// Validate checks the counts and limits, the selector and the template, whose restartPolicy must be
// OnFailure or Never.
func (jobStrategy) Validate(obj scheme.Object) field.ErrorList {
	job := obj.(*batchv1.Job)
	spec := cmp.Or(job.GetSpec(), &batchv1.JobSpec{})
	p := field.NewPath("spec")
	errs := nonNegativePtr32(p.Child("parallelism"), spec.Parallelism)
	errs = append(errs, nonNegativePtr32(p.Child("completions"), spec.Completions)...)
	errs = append(errs, nonNegativePtr64(p.Child("activeDeadlineSeconds"), spec.ActiveDeadlineSeconds)...)
	errs = append(errs, nonNegativePtr32(p.Child("backoffLimit"), spec.BackoffLimit)...)
	errs = append(errs, nonNegativePtr32(p.Child("ttlSecondsAfterFinished"), spec.TtlSecondsAfterFinished)...)
	errs = append(errs, optionalOneOf(p.Child("completionMode"), spec.CompletionMode, "Indexed", "NonIndexed")...)
	errs = append(errs, optionalOneOf(p.Child("podReplacementPolicy"), spec.PodReplacementPolicy, "Failed", "TerminatingOrFailed")...)
	if spec.GetCompletionMode() == "Indexed" {
		if spec.Completions == nil {
			errs = append(errs, field.Required(p.Child("completions"), "when completion mode is Indexed"))
		}
	} else {
		if spec.BackoffLimitPerIndex != nil {
			errs = append(errs, field.Invalid(p.Child("backoffLimitPerIndex"), spec.GetBackoffLimitPerIndex(), "requires indexed completion mode"))
		}
		if spec.MaxFailedIndexes != nil {
			errs = append(errs, field.Invalid(p.Child("maxFailedIndexes"), spec.GetMaxFailedIndexes(), "requires indexed completion mode"))
		}
	}
	errs = append(errs, nonNegativePtr32(p.Child("backoffLimitPerIndex"), spec.BackoffLimitPerIndex)...)
	errs = append(errs, nonNegativePtr32(p.Child("maxFailedIndexes"), spec.MaxFailedIndexes)...)
	errs = append(errs, validatePodFailurePolicy(spec.GetPodFailurePolicy(), p.Child("podFailurePolicy"))...)
	errs = append(errs, validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p, "job")...)
	if !spec.GetManualSelector() && spec.GetSelector() != nil {
		uid := job.GetMetadata().GetUid()
		if spec.GetSelector().GetMatchLabels()[jobControllerUIDLabel] != uid {
			errs = append(errs, field.Invalid(p.Child("selector"), spec.GetSelector(), "`selector` not auto-generated"))
		}
	}
	errs = append(errs, validateTemplate(spec.GetTemplate(), p.Child("template"),
		templateRules{restartPolicies: []string{"OnFailure", "Never"}})...)
	return errs
}

func validatePodFailurePolicy(pfp *batchv1.PodFailurePolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range pfp.GetRules() {
		rp := p.Child("rules").Index(i)
		errs = append(errs, oneOf(rp.Child("action"), r.GetAction(), true, "Count", "FailIndex", "FailJob", "Ignore")...)
		switch {
		case r.OnExitCodes != nil && len(r.GetOnPodConditions()) > 0:
			errs = append(errs, field.Invalid(rp, "", "specifying both OnExitCodes and OnPodConditions is not supported"))
		case r.OnExitCodes == nil && len(r.GetOnPodConditions()) == 0:
			errs = append(errs, field.Invalid(rp, "", "specifying one of OnExitCodes and OnPodConditions is required"))
		}
		if ec := r.GetOnExitCodes(); ec != nil {
			ep := rp.Child("onExitCodes")
			errs = append(errs, oneOf(ep.Child("operator"), ec.GetOperator(), true, "In", "NotIn")...)
			if len(ec.GetValues()) == 0 {
				errs = append(errs, field.Invalid(ep.Child("values"), ec.GetValues(), "at least one value is required"))
			}
			for j, v := range ec.GetValues() {
				if ec.GetOperator() == "In" && v == 0 {
					errs = append(errs, field.Invalid(ep.Child("values").Index(j), v, "must not be 0 for the In operator"))
				}
			}
		}
		for j, c := range r.GetOnPodConditions() {
			cp := rp.Child("onPodConditions").Index(j)
			errs = append(errs, qualifiedName(cp.Child("type"), c.GetType())...)
			errs = append(errs, oneOf(cp.Child("status"), c.GetStatus(), true, "False", "True", "Unknown")...)
		}
	}
	return errs
}

// ValidateUpdate checks the replacement; the selector, template, completion mode, pod failure
// policy and backoffLimitPerIndex may not change, nor completions except together with parallelism
// in an indexed job.
func (s jobStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	spec := cmp.Or(obj.(*batchv1.Job).GetSpec(), &batchv1.JobSpec{})
	oldSpec := cmp.Or(old.(*batchv1.Job).GetSpec(), &batchv1.JobSpec{})
	p := field.NewPath("spec")
	errs = append(errs, immutableMessage(p.Child("selector"), spec.GetSelector(), oldSpec.GetSelector())...)
	errs = append(errs, immutableMessage(p.Child("template"), spec.GetTemplate(), oldSpec.GetTemplate())...)
	errs = append(errs, immutable(p.Child("completionMode"), spec.GetCompletionMode(), oldSpec.GetCompletionMode())...)
	errs = append(errs, immutableMessage(p.Child("podFailurePolicy"), spec.GetPodFailurePolicy(), oldSpec.GetPodFailurePolicy())...)
	errs = append(errs, immutableMessage(p.Child("successPolicy"), spec.GetSuccessPolicy(), oldSpec.GetSuccessPolicy())...)
	if !optionalEqual(spec.BackoffLimitPerIndex, oldSpec.BackoffLimitPerIndex) {
		errs = append(errs, field.Invalid(p.Child("backoffLimitPerIndex"), spec.BackoffLimitPerIndex, msgImmutable))
	}
	if !optionalEqual(spec.Completions, oldSpec.Completions) {
		elastic := spec.GetCompletionMode() == "Indexed" && spec.GetCompletions() == spec.GetParallelism() &&
			spec.Completions != nil && oldSpec.Completions != nil
		if !elastic {
			errs = append(errs, field.Invalid(p.Child("completions"), spec.Completions, msgImmutable))
		}
	}
	return errs
}

// optionalEqual reports whether two optional fields are both unset or both set to the same value.
func optionalEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// ValidateStatus checks that no count is negative and that a job does not finish before it starts.
func (jobStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*batchv1.Job).GetStatus()
	if st == nil {
		st = &batchv1.JobStatus{} // no status reads as all zero
	}
	p := field.NewPath("status")
	errs := nonNegative(p.Child("active"), int64(st.GetActive()))
	errs = append(errs, nonNegative(p.Child("succeeded"), int64(st.GetSucceeded()))...)
	errs = append(errs, nonNegative(p.Child("failed"), int64(st.GetFailed()))...)
	errs = append(errs, nonNegativePtr32(p.Child("ready"), st.Ready)...)
	errs = append(errs, nonNegativePtr32(p.Child("terminating"), st.Terminating)...)
	if st.GetCompletionTime() != nil && st.GetStartTime() != nil &&
		st.GetCompletionTime().AsTime().Before(st.GetStartTime().AsTime()) {
		errs = append(errs, field.Invalid(p.Child("completionTime"), st.GetCompletionTime().AsTime(), "completionTime cannot be set before startTime"))
	}
	return errs
}

// SelectableFields adds status.successful, the number of succeeded pods.
func (jobStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["status.successful"] = strconv.Itoa(int(obj.(*batchv1.Job).GetStatus().GetSucceeded()))
	return f
}
