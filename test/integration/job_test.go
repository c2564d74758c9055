package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// shellJob is a Job running script in a shell on the process runtime, never restarted in place.
func shellJob(name, script string, parallelism, completions, backoffLimit int32) *batchv1.Job {
	return &batchv1.Job{
		Metadata: &metav1.ObjectMeta{Name: name},
		Spec: &batchv1.JobSpec{
			Parallelism: proto.Int32(parallelism), Completions: proto.Int32(completions), BackoffLimit: proto.Int32(backoffLimit),
			Template: &corev1.PodTemplateSpec{Spec: &corev1.PodSpec{
				RestartPolicy: "Never",
				Containers:    []*corev1.Container{{Name: "main", Image: "sh", Command: []string{"/bin/sh", "-c", script}}},
			}},
		},
	}
}

// startJobCluster starts a cluster with the scheduler, a process-runtime kubelet and the job
// controller, whose pod-failure backoff is short (100ms, capped at 1s) so failing Jobs retry
// quickly.
func startJobCluster(t *testing.T) (*client.Client, context.Context) {
	t.Helper()
	cl := framework.StartCluster(t, framework.Options{})
	framework.StartScheduler(t, cl.Endpoints(), nil)
	framework.StartKubelet(t, cl, framework.KubeletOptions{})
	startControllers(t, cl, harness.Jobs(100*time.Millisecond, time.Second))
	return cl.Client(), testContext(t)
}

// jobCondition returns the True condition of type typ of the Job, or nil.
func jobCondition(job *batchv1.Job, typ string) *batchv1.JobCondition {
	for _, c := range job.GetStatus().GetConditions() {
		if c.GetType() == typ && c.GetStatus() == "True" {
			return c
		}
	}
	return nil
}

// TestJobs runs Jobs on the in-process cluster with the scheduler and a process-runtime kubelet:
// one with parallelism 3 and completions 6 of pods that exit 0 completes with six pods, never
// more than three at once; one whose pods exit 1 stops at its backoffLimit with
// BackoffLimitExceeded.
func TestJobs(t *testing.T) {
	c, ctx := startJobCluster(t)

	jobs := c.Jobs("default")
	_, err := jobs.Create(ctx, shellJob("ok", "exit 0", 3, 6, 6))
	require.NoError(t, err)
	_, err = jobs.Create(ctx, shellJob("fails", "exit 1", 1, 1, 2))
	require.NoError(t, err)

	okPods := trackPods(t, c, "batch.kubernetes.io/job-name=ok")
	maxActive := 0
	framework.Eventually(t, 90*time.Second, func() bool {
		job, err := jobs.Get(ctx, "ok")
		if err != nil {
			return false
		}
		maxActive = max(maxActive, int(job.GetStatus().GetActive()))
		return jobCondition(job, "Complete") != nil
	}, "job ok completes")
	job, err := jobs.Get(ctx, "ok")
	require.NoError(t, err)
	st := job.GetStatus()
	require.EqualValues(t, 6, st.GetSucceeded())
	require.Zero(t, st.GetActive())
	require.Zero(t, st.GetFailed())
	require.NotNil(t, st.GetStartTime())
	require.NotNil(t, st.GetCompletionTime())
	require.LessOrEqual(t, maxActive, 3, "never more active pods than parallelism")
	_, added, _ := okPods.counts()
	require.Equal(t, 6, added, "one pod per completion")

	framework.Eventually(t, 90*time.Second, func() bool {
		job, err := jobs.Get(ctx, "fails")
		return err == nil && jobCondition(job, "Failed") != nil
	}, "job fails fails")
	job, err = jobs.Get(ctx, "fails")
	require.NoError(t, err)
	cond := jobCondition(job, "Failed")
	require.Equal(t, "BackoffLimitExceeded", cond.GetReason())
	require.EqualValues(t, 3, job.GetStatus().GetFailed(), "backoffLimit 2 allows three failures")
	require.Nil(t, jobCondition(job, "Complete"))
	pods, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=fails"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 3, "no pod after the limit")

	pods, err = c.Pods("default").List(ctx, client.ListOptions{LabelSelector: "batch.kubernetes.io/job-name in (ok,fails)"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 9)
	for _, p := range pods.Items {
		require.NotContains(t, p.GetMetadata().GetFinalizers(), "batch.kubernetes.io/job-tracking", "pod %s was counted", p.GetMetadata().GetName())
	}
}

// TestIndexedJobAndTTL runs an Indexed Job whose pods succeed only with a valid
// JOB_COMPLETION_INDEX, and a Job whose ttlSecondsAfterFinished deletes it once it completed.
func TestIndexedJobAndTTL(t *testing.T) {
	c, ctx := startJobCluster(t)
	jobs := c.Jobs("default")

	indexed := shellJob("indexed", `case "$JOB_COMPLETION_INDEX" in 0|1|2) exit 0;; esac; exit 1`, 2, 3, 0)
	indexed.Spec.CompletionMode = proto.String("Indexed")
	_, err := jobs.Create(ctx, indexed)
	require.NoError(t, err)
	ttl := shellJob("ttl", "exit 0", 1, 1, 0)
	ttl.Spec.TtlSecondsAfterFinished = proto.Int32(1)
	_, err = jobs.Create(ctx, ttl)
	require.NoError(t, err)

	framework.Eventually(t, 90*time.Second, func() bool {
		job, err := jobs.Get(ctx, "indexed")
		return err == nil && jobCondition(job, "Complete") != nil
	}, "the indexed job completes")
	job, err := jobs.Get(ctx, "indexed")
	require.NoError(t, err)
	require.Equal(t, "0-2", job.GetStatus().GetCompletedIndexes())
	require.EqualValues(t, 3, job.GetStatus().GetSucceeded())
	require.Zero(t, job.GetStatus().GetFailed())
	pods, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=indexed"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 3)
	for _, p := range pods.Items {
		idx := p.GetMetadata().GetAnnotations()["batch.kubernetes.io/job-completion-index"]
		require.Equal(t, "indexed-"+idx, p.GetSpec().GetHostname())
	}

	framework.Eventually(t, 90*time.Second, func() bool {
		_, err := jobs.Get(ctx, "ttl")
		return apierrors.IsNotFound(err)
	}, "the finished job is deleted after its TTL")
}
