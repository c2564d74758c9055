package strategy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/csr"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// minExpirationSeconds is the shortest validity a request may ask for, as in Kubernetes.
const minExpirationSeconds = 600

// csrStrategy holds the rules of certificates.k8s.io/v1 certificate signing requests: a spec fixed
// at creation, with the requestor taken from the authenticated user, Approved and Denied
// conditions written only through the approval subresource and never removed, and a certificate
// written once through the status subresource.
type csrStrategy struct{}

// PrepareForCreate records who asks: spec.username, uid, groups and extra come from the user the
// request was authenticated as, never from the client. The apiserver's own writes (no user in
// ctx) record nobody.
func (csrStrategy) PrepareForCreate(ctx context.Context, obj scheme.Object) {
	r := obj.(*certificatesv1.CertificateSigningRequest)
	if r.Spec == nil {
		r.Spec = &certificatesv1.CertificateSigningRequestSpec{}
	}
	r.Spec.Username, r.Spec.Uid, r.Spec.Groups, r.Spec.Extra = "", "", nil, nil
	u, ok := user.FromContext(ctx)
	if !ok {
		return
	}
	r.Spec.Username, r.Spec.Uid, r.Spec.Groups = u.Name, u.UID, slices.Clone(u.Groups)
	if len(u.Extra) > 0 {
		r.Spec.Extra = make(map[string]*certificatesv1.ExtraValue, len(u.Extra))
		for k, v := range u.Extra {
			r.Spec.Extra[k] = &certificatesv1.ExtraValue{Items: slices.Clone(v)}
		}
	}
}

// PrepareForUpdate keeps the stored spec: a request never changes what it asks for, nor who asked.
func (csrStrategy) PrepareForUpdate(obj, old scheme.Object) {
	obj.(*certificatesv1.CertificateSigningRequest).Spec = proto.Clone(old.(*certificatesv1.CertificateSigningRequest).GetSpec()).(*certificatesv1.CertificateSigningRequestSpec)
}

// PrepareForStatusUpdate keeps the stored Approved and Denied conditions: only the approval
// subresource changes them, as in Kubernetes.
func (csrStrategy) PrepareForStatusUpdate(obj, old scheme.Object) {
	r, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	keep := func(c *certificatesv1.CertificateSigningRequestCondition) bool { return !isApproval(c.GetType()) }
	conds := mergeConditions(prev.GetStatus().GetConditions(), r.GetStatus().GetConditions(), keep)
	ensureCSRStatus(r).Conditions = conds
}

// PrepareForApproval keeps everything but the Approved and Denied conditions as stored: the
// approval subresource changes only those.
func (csrStrategy) PrepareForApproval(obj, old scheme.Object) {
	r, prev := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	keep := func(c *certificatesv1.CertificateSigningRequestCondition) bool { return isApproval(c.GetType()) }
	conds := mergeConditions(prev.GetStatus().GetConditions(), r.GetStatus().GetConditions(), keep)
	st := ensureCSRStatus(r)
	st.Conditions = conds
	st.Certificate = slices.Clone(prev.GetStatus().GetCertificate())
}

// mergeConditions returns the stored conditions that fromClient does not hold, then the client's
// conditions that fromClient holds.
func mergeConditions(stored, client []*certificatesv1.CertificateSigningRequestCondition,
	fromClient func(*certificatesv1.CertificateSigningRequestCondition) bool) []*certificatesv1.CertificateSigningRequestCondition {
	var out []*certificatesv1.CertificateSigningRequestCondition
	for _, c := range stored {
		if !fromClient(c) {
			out = append(out, c)
		}
	}
	for _, c := range client {
		if fromClient(c) {
			out = append(out, c)
		}
	}
	return out
}

func isApproval(t string) bool { return t == csr.Approved || t == csr.Denied }

func ensureCSRStatus(r *certificatesv1.CertificateSigningRequest) *certificatesv1.CertificateSigningRequestStatus {
	if r.Status == nil {
		r.Status = &certificatesv1.CertificateSigningRequestStatus{}
	}
	return r.Status
}

// Default sets a condition's missing status to True, as Kubernetes' v1 defaulting does.
func (csrStrategy) Default(obj scheme.Object) {
	for _, c := range obj.(*certificatesv1.CertificateSigningRequest).GetStatus().GetConditions() {
		if c.Status == "" {
			c.Status = "True"
		}
	}
}

// DefaultStatus defaults a status write's conditions as Default does.
func (s csrStrategy) DefaultStatus(obj scheme.Object) { s.Default(obj) }

// Validate checks the request PEM, the signer name, the usages and the requested duration.
func (csrStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := obj.(*certificatesv1.CertificateSigningRequest).GetSpec()
	p := field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.GetRequest()) == 0 {
		errs = append(errs, field.Required(p.Child("request"), "certificate request is required"))
	} else if _, err := csr.ParseRequest(spec.GetRequest()); err != nil {
		errs = append(errs, field.Invalid(p.Child("request"), "<value omitted>", err.Error()))
	}
	errs = append(errs, validateSignerName(p.Child("signerName"), spec.GetSignerName())...)
	if e := spec.GetExpirationSeconds(); spec != nil && spec.ExpirationSeconds != nil && e < minExpirationSeconds {
		errs = append(errs, field.Invalid(p.Child("expirationSeconds"), e, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	up := p.Child("usages")
	if len(spec.GetUsages()) == 0 {
		errs = append(errs, field.Required(up, "usages must be provided"))
	}
	seen := map[string]bool{}
	for i, u := range spec.GetUsages() {
		switch {
		case !csr.KnownUsage(u):
			errs = append(errs, field.NotSupported(up.Index(i), u, knownUsages()))
		case seen[u]:
			errs = append(errs, field.Duplicate(up.Index(i), u))
		}
		seen[u] = true
	}
	return errs
}

// knownUsages lists the accepted usages, for NotSupported's message.
func knownUsages() []string {
	return []string{
		csr.UsageSigning, csr.UsageDigitalSignature, csr.UsageContentCommitment, csr.UsageKeyEncipherment,
		csr.UsageKeyAgreement, csr.UsageDataEncipherment, csr.UsageCertSign, csr.UsageCRLSign,
		csr.UsageEncipherOnly, csr.UsageDecipherOnly, csr.UsageAny, csr.UsageServerAuth, csr.UsageClientAuth,
		csr.UsageCodeSigning, csr.UsageEmailProtection, csr.UsageSMIME, csr.UsageIPsecEndSystem,
		csr.UsageIPsecTunnel, csr.UsageIPsecUser, csr.UsageTimestamping, csr.UsageOCSPSigning,
		csr.UsageMicrosoftSGC, csr.UsageNetscapeSGC,
	}
}

// validateSignerName checks a <domain>/<path> signer name; in the kubernetes.io domain only the
// built-in signers exist.
func validateSignerName(p *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	domain, path, ok := strings.Cut(name, "/")
	if !ok || path == "" || !strings.Contains(domain, ".") || len(dns1123Subdomain(p, domain)) > 0 {
		return field.ErrorList{field.Invalid(p, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	if csr.ReservedSigner(name) && !csr.KnownSigner(name) {
		return field.ErrorList{field.NotSupported(p, name, []string{
			csr.KubeAPIServerClientSigner, csr.KubeAPIServerClientKubeletSigner, csr.KubeletServingSigner,
		})}
	}
	return nil
}

// ValidateUpdate checks the replacement as Validate does; the spec was kept from the stored
// object, so only metadata changes.
func (s csrStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus checks the conditions and the certificate: known statuses, one condition of each
// built-in type, Approved and Denied exclusive, no Approved, Denied or Failed condition removed,
// and a certificate that is PEM CERTIFICATE blocks, only on an approved request, never changed
// once issued.
func (csrStrategy) ValidateStatus(obj, old scheme.Object) field.ErrorList {
	st, prev := obj.(*certificatesv1.CertificateSigningRequest).GetStatus(), old.(*certificatesv1.CertificateSigningRequest).GetStatus()
	p := field.NewPath("status", "conditions")
	var errs field.ErrorList
	count := map[string]int{}
	for i, c := range st.GetConditions() {
		cp := p.Index(i)
		if c.GetType() == "" {
			errs = append(errs, field.Required(cp.Child("type"), ""))
		}
		errs = append(errs, oneOf(cp.Child("status"), c.GetStatus(), true, "True", "False", "Unknown")...)
		switch c.GetType() {
		case csr.Approved, csr.Denied, csr.Failed:
			if count[c.GetType()]++; count[c.GetType()] > 1 {
				errs = append(errs, field.Duplicate(cp.Child("type"), c.GetType()))
			}
		}
		if isApproval(c.GetType()) && c.GetStatus() != "True" {
			errs = append(errs, field.NotSupported(cp.Child("status"), c.GetStatus(), []string{"True"}))
		}
	}
	if count[csr.Approved] > 0 && count[csr.Denied] > 0 {
		errs = append(errs, field.Invalid(p, csr.Approved, "Approved and Denied conditions are mutually exclusive"))
	}
	for _, t := range []string{csr.Approved, csr.Denied, csr.Failed} {
		if slices.ContainsFunc(prev.GetConditions(), func(c *certificatesv1.CertificateSigningRequestCondition) bool { return c.GetType() == t }) && count[t] == 0 {
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("updates may not remove a condition of type %q", t)))
		}
	}
	cp := field.NewPath("status", "certificate")
	if cert := st.GetCertificate(); len(cert) > 0 {
		if _, err := csr.ParseCertificates(cert); err != nil {
			errs = append(errs, field.Invalid(cp, "<certificate data>", err.Error()))
		}
		if count[csr.Approved] == 0 {
			errs = append(errs, field.Invalid(cp, "<certificate data>", "certificate may only be set if the CertificateSigningRequest is approved"))
		}
		if count[csr.Failed] > 0 {
			errs = append(errs, field.Invalid(cp, "<certificate data>", "certificate may not be set if the CertificateSigningRequest has failed"))
		}
	}
	if pc := prev.GetCertificate(); len(pc) > 0 && string(pc) != string(st.GetCertificate()) {
		errs = append(errs, field.Forbidden(cp, "updates may not modify existing certificate content"))
	}
	return errs
}

// SelectableFields adds spec.signerName, as Kubernetes does.
func (csrStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["spec.signerName"] = obj.(*certificatesv1.CertificateSigningRequest).GetSpec().GetSignerName()
	return f
}
