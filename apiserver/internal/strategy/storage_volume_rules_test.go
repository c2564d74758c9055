package strategy

import (
	"testing"

	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestPodStorageVolumes checks that a volume of any of Kubernetes' storage sources is accepted
// whether or not a node can mount it, that such a volume still has exactly one source, and that the
// fields naming the storage are required.
func TestPodStorageVolumes(t *testing.T) {
	data := func(p *corev1.Pod) *corev1.Volume {
		v := p.Spec.Volumes[0]
		v.EmptyDir = nil
		return v
	}
	secret := &corev1.LocalObjectReference{Name: "creds"}
	claim := &corev1.PersistentVolumeClaimTemplate{Spec: &corev1.PersistentVolumeClaimSpec{
		AccessModes: []string{"ReadWriteOnce"},
		Resources:   &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": "1Gi"}},
	}}
	valid := []struct {
		name string
		set  func(v *corev1.Volume)
	}{
		{"gcePersistentDisk", func(v *corev1.Volume) {
			v.GcePersistentDisk = &corev1.GCEPersistentDiskVolumeSource{PdName: "disk", FsType: "ext4"}
		}},
		{"awsElasticBlockStore", func(v *corev1.Volume) {
			v.AwsElasticBlockStore = &corev1.AWSElasticBlockStoreVolumeSource{VolumeId: "vol-1"}
		}},
		{"gitRepo", func(v *corev1.Volume) {
			v.GitRepo = &corev1.GitRepoVolumeSource{Repository: "https://example.com/r.git"}
		}},
		{"nfs", func(v *corev1.Volume) { v.Nfs = &corev1.NFSVolumeSource{Server: "nfs.local", Path: "/exports"} }},
		{"iscsi", func(v *corev1.Volume) {
			v.Iscsi = &corev1.ISCSIVolumeSource{TargetPortal: "127.0.0.1:3260", Iqn: "iqn.2001-04.com.example:storage", Lun: 0}
		}},
		{"glusterfs", func(v *corev1.Volume) { v.Glusterfs = &corev1.GlusterfsVolumeSource{Endpoints: "gluster", Path: "vol"} }},
		{"rbd", func(v *corev1.Volume) {
			v.Rbd = &corev1.RBDVolumeSource{Monitors: []string{"127.0.0.2:6789"}, Image: "foo"}
		}},
		{"flexVolume", func(v *corev1.Volume) {
			v.FlexVolume = &corev1.FlexVolumeSource{Driver: "kubernetes.io/lvm", SecretRef: secret}
		}},
		{"cinder", func(v *corev1.Volume) { v.Cinder = &corev1.CinderVolumeSource{VolumeId: "bd82f7e2"} }},
		{"cephfs", func(v *corev1.Volume) { v.Cephfs = &corev1.CephFSVolumeSource{Monitors: []string{"127.0.0.3:6789"}} }},
		{"flocker", func(v *corev1.Volume) { v.Flocker = &corev1.FlockerVolumeSource{DatasetName: "ds"} }},
		{"fc", func(v *corev1.Volume) {
			v.Fc = &corev1.FCVolumeSource{TargetWwns: []string{"500a0982991b8dc5"}, Lun: proto.Int32(2)}
		}},
		{"azureFile", func(v *corev1.Volume) {
			v.AzureFile = &corev1.AzureFileVolumeSource{SecretName: "azure", ShareName: "k8s"}
		}},
		{"vsphereVolume", func(v *corev1.Volume) {
			v.VsphereVolume = &corev1.VsphereVirtualDiskVolumeSource{VolumePath: "[ds] v.vmdk"}
		}},
		{"quobyte", func(v *corev1.Volume) { v.Quobyte = &corev1.QuobyteVolumeSource{Registry: "reg:7861", Volume: "v"} }},
		{"azureDisk", func(v *corev1.Volume) {
			v.AzureDisk = &corev1.AzureDiskVolumeSource{DiskName: "d.vhd", DiskUri: "https://example.com/d.vhd"}
		}},
		{"photonPersistentDisk", func(v *corev1.Volume) { v.PhotonPersistentDisk = &corev1.PhotonPersistentDiskVolumeSource{PdId: "p"} }},
		{"portworxVolume", func(v *corev1.Volume) { v.PortworxVolume = &corev1.PortworxVolumeSource{VolumeId: "pxvol"} }},
		{"scaleIO", func(v *corev1.Volume) {
			v.ScaleIo = &corev1.ScaleIOVolumeSource{Gateway: "https://gw", System: "sys", VolumeName: "vol", SecretRef: secret}
		}},
		{"storageos", func(v *corev1.Volume) { v.Storageos = &corev1.StorageOSVolumeSource{VolumeName: "redis"} }},
		{"csi", func(v *corev1.Volume) {
			v.Csi = &corev1.CSIVolumeSource{Driver: "inline.storage.kubernetes.io", VolumeAttributes: map[string]string{"foo": "bar"}}
		}},
		{"ephemeral", func(v *corev1.Volume) { v.Ephemeral = &corev1.EphemeralVolumeSource{VolumeClaimTemplate: claim} }},
		{"image", func(v *corev1.Volume) {
			v.Image = &corev1.ImageVolumeSource{Reference: "quay.io/crio/artifact:v1", PullPolicy: "IfNotPresent"}
		}},
	}
	var cases []fieldCase[*corev1.Pod]
	for _, c := range valid {
		cases = append(cases, fieldCase[*corev1.Pod]{c.name, func(p *corev1.Pod) { c.set(data(p)) }, nil})
	}
	cases = append(cases,
		fieldCase[*corev1.Pod]{"nfs and emptyDir", func(p *corev1.Pod) {
			p.Spec.Volumes[0].Nfs = &corev1.NFSVolumeSource{Server: "nfs.local", Path: "/exports"}
		}, []string{"spec.volumes[0].nfs"}},
		fieldCase[*corev1.Pod]{"csi and image", func(p *corev1.Pod) {
			data(p).Csi = &corev1.CSIVolumeSource{Driver: "d"}
			p.Spec.Volumes[0].Image = &corev1.ImageVolumeSource{Reference: "r"}
		}, []string{"spec.volumes[0].image"}},
		fieldCase[*corev1.Pod]{"nfs without server and path", func(p *corev1.Pod) { data(p).Nfs = &corev1.NFSVolumeSource{} },
			[]string{"spec.volumes[0].nfs.server", "spec.volumes[0].nfs.path"}},
		fieldCase[*corev1.Pod]{"gcePersistentDisk without pdName", func(p *corev1.Pod) {
			data(p).GcePersistentDisk = &corev1.GCEPersistentDiskVolumeSource{}
		}, []string{"spec.volumes[0].gcePersistentDisk.pdName"}},
		fieldCase[*corev1.Pod]{"csi without driver", func(p *corev1.Pod) { data(p).Csi = &corev1.CSIVolumeSource{} },
			[]string{"spec.volumes[0].csi.driver"}},
		fieldCase[*corev1.Pod]{"ephemeral without template", func(p *corev1.Pod) { data(p).Ephemeral = &corev1.EphemeralVolumeSource{} },
			[]string{"spec.volumes[0].ephemeral.volumeClaimTemplate"}},
		fieldCase[*corev1.Pod]{"image with a bad pull policy", func(p *corev1.Pod) {
			data(p).Image = &corev1.ImageVolumeSource{Reference: "r", PullPolicy: "Sometimes"}
		}, []string{"spec.volumes[0].image.pullPolicy"}},
		fieldCase[*corev1.Pod]{"block device on an ephemeral volume", func(p *corev1.Pod) {
			data(p).Ephemeral = &corev1.EphemeralVolumeSource{VolumeClaimTemplate: claim}
			c := p.Spec.Containers[0]
			c.VolumeMounts = c.VolumeMounts[1:]
			c.VolumeDevices = []*corev1.VolumeDevice{{Name: "data", DevicePath: "/dev/xvda"}}
		}, nil},
		fieldCase[*corev1.Pod]{"clusterTrustBundle projection", func(p *corev1.Pod) {
			data(p).Projected = &corev1.ProjectedVolumeSource{Sources: []*corev1.VolumeProjection{{
				ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{SignerName: proto.String("example.com/signer"), Path: "ca.pem"},
			}}}
		}, nil},
		fieldCase[*corev1.Pod]{"clusterTrustBundle projection without name or path", func(p *corev1.Pod) {
			data(p).Projected = &corev1.ProjectedVolumeSource{Sources: []*corev1.VolumeProjection{{
				ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{},
			}}}
		}, []string{"spec.volumes[0].projected.sources[0].clusterTrustBundle", "spec.volumes[0].projected.sources[0].clusterTrustBundle.path"}},
	)
	runValidation(t, podStrategy{}, validPod, cases)
}
