package statefulset

import (
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func logKey(set *appsv1.StatefulSet) zap.Field { return zap.String("statefulset", scheme.Key(set)) }

func logPod(pod *corev1.Pod) zap.Field { return zap.String("pod", pod.GetMetadata().GetName()) }
