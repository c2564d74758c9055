package strategy

import (
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// storageSource is one of the volume sources a node mounts from outside itself: an in-tree cloud
// disk or network file system, a CSI driver, a generic ephemeral claim or an image. The API keeps
// them as written; it checks only what Kubernetes requires of every one of them, the fields that
// name the storage, whether or not a node of this cluster can mount it.
type storageSource struct {
	name     string
	set      bool
	required []requiredField
}

// requiredField is a field a source must set; missing says it does not.
type requiredField struct {
	name    string
	missing bool
}

// storageSources lists v's storage sources in Kubernetes' order, set or not.
func storageSources(v *corev1.Volume) []storageSource {
	return []storageSource{
		{"gcePersistentDisk", v.GcePersistentDisk != nil, []requiredField{{"pdName", v.GetGcePersistentDisk().GetPdName() == ""}}},
		{"awsElasticBlockStore", v.AwsElasticBlockStore != nil, []requiredField{{"volumeID", v.GetAwsElasticBlockStore().GetVolumeId() == ""}}},
		{"gitRepo", v.GitRepo != nil, []requiredField{{"repository", v.GetGitRepo().GetRepository() == ""}}},
		{"nfs", v.Nfs != nil, []requiredField{{"server", v.GetNfs().GetServer() == ""}, {"path", v.GetNfs().GetPath() == ""}}},
		{"iscsi", v.Iscsi != nil, []requiredField{{"targetPortal", v.GetIscsi().GetTargetPortal() == ""}, {"iqn", v.GetIscsi().GetIqn() == ""}}},
		{"glusterfs", v.Glusterfs != nil, []requiredField{{"endpoints", v.GetGlusterfs().GetEndpoints() == ""}, {"path", v.GetGlusterfs().GetPath() == ""}}},
		{"rbd", v.Rbd != nil, []requiredField{{"monitors", len(v.GetRbd().GetMonitors()) == 0}, {"image", v.GetRbd().GetImage() == ""}}},
		{"flexVolume", v.FlexVolume != nil, []requiredField{{"driver", v.GetFlexVolume().GetDriver() == ""}}},
		{"cinder", v.Cinder != nil, []requiredField{{"volumeID", v.GetCinder().GetVolumeId() == ""}}},
		{"cephfs", v.Cephfs != nil, []requiredField{{"monitors", len(v.GetCephfs().GetMonitors()) == 0}}},
		{"flocker", v.Flocker != nil, []requiredField{{"datasetName", v.GetFlocker().GetDatasetName() == "" && v.GetFlocker().GetDatasetUuid() == ""}}},
		{"fc", v.Fc != nil, []requiredField{{"targetWWNs", len(v.GetFc().GetTargetWwns()) == 0 && len(v.GetFc().GetWwids()) == 0}}},
		{"azureFile", v.AzureFile != nil, []requiredField{{"secretName", v.GetAzureFile().GetSecretName() == ""}, {"shareName", v.GetAzureFile().GetShareName() == ""}}},
		{"vsphereVolume", v.VsphereVolume != nil, []requiredField{{"volumePath", v.GetVsphereVolume().GetVolumePath() == ""}}},
		{"quobyte", v.Quobyte != nil, []requiredField{{"registry", v.GetQuobyte().GetRegistry() == ""}, {"volume", v.GetQuobyte().GetVolume() == ""}}},
		{"azureDisk", v.AzureDisk != nil, []requiredField{{"diskName", v.GetAzureDisk().GetDiskName() == ""}, {"diskURI", v.GetAzureDisk().GetDiskUri() == ""}}},
		{"photonPersistentDisk", v.PhotonPersistentDisk != nil, []requiredField{{"pdID", v.GetPhotonPersistentDisk().GetPdId() == ""}}},
		{"portworxVolume", v.PortworxVolume != nil, []requiredField{{"volumeID", v.GetPortworxVolume().GetVolumeId() == ""}}},
		{"scaleIO", v.ScaleIo != nil, []requiredField{{"gateway", v.GetScaleIo().GetGateway() == ""}, {"system", v.GetScaleIo().GetSystem() == ""},
			{"volumeName", v.GetScaleIo().GetVolumeName() == ""}, {"secretRef", v.GetScaleIo().GetSecretRef() == nil}}},
		{"storageos", v.Storageos != nil, []requiredField{{"volumeName", v.GetStorageos().GetVolumeName() == ""}}},
		{"csi", v.Csi != nil, []requiredField{{"driver", v.GetCsi().GetDriver() == ""}}},
		{"ephemeral", v.Ephemeral != nil, []requiredField{{"volumeClaimTemplate", v.GetEphemeral().GetVolumeClaimTemplate() == nil}}},
		{"image", v.Image != nil, []requiredField{{"reference", v.GetImage().GetReference() == ""}}},
	}
}

// validateStorageSources counts v's storage sources in one and checks the first one set.
func validateStorageSources(v *corev1.Volume, one *exclusive, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, s := range storageSources(v) {
		if !s.set || !one.take(s.name) {
			continue
		}
		for _, r := range s.required {
			if r.missing {
				errs = append(errs, field.Required(p.Child(s.name, r.name), ""))
			}
		}
	}
	if s := v.GetImage(); s != nil {
		errs = append(errs, oneOf(p.Child("image", "pullPolicy"), s.GetPullPolicy(), false, "Always", "Never", "IfNotPresent")...)
	}
	return errs
}

// validateClusterTrustBundle checks a projection of ClusterTrustBundles: by name or by signer
// name, never both, into a path inside the volume.
func validateClusterTrustBundle(s *corev1.ClusterTrustBundleProjection, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case s.Name != nil && s.SignerName != nil:
		errs = append(errs, field.Invalid(p, "signerName", "only one of name and signerName may be used"))
	case s.Name == nil && s.SignerName == nil:
		errs = append(errs, field.Required(p, "either name or signerName must be specified"))
	}
	if s.GetPath() == "" {
		errs = append(errs, field.Required(p.Child("path"), ""))
	} else {
		errs = append(errs, validateLocalPath(p.Child("path"), s.GetPath())...)
	}
	return errs
}
