package csr

import (
	"crypto/x509"
	"fmt"
)

// Key usages, spelled as certificates.k8s.io/v1 KeyUsage spells them.
const (
	UsageSigning           = "signing"
	UsageDigitalSignature  = "digital signature"
	UsageContentCommitment = "content commitment"
	UsageKeyEncipherment   = "key encipherment"
	UsageKeyAgreement      = "key agreement"
	UsageDataEncipherment  = "data encipherment"
	UsageCertSign          = "cert sign"
	UsageCRLSign           = "crl sign"
	UsageEncipherOnly      = "encipher only"
	UsageDecipherOnly      = "decipher only"
	UsageAny               = "any"
	UsageServerAuth        = "server auth"
	UsageClientAuth        = "client auth"
	UsageCodeSigning       = "code signing"
	UsageEmailProtection   = "email protection"
	UsageSMIME             = "s/mime"
	UsageIPsecEndSystem    = "ipsec end system"
	UsageIPsecTunnel       = "ipsec tunnel"
	UsageIPsecUser         = "ipsec user"
	UsageTimestamping      = "timestamping"
	UsageOCSPSigning       = "ocsp signing"
	UsageMicrosoftSGC      = "microsoft sgc"
	UsageNetscapeSGC       = "netscape sgc"
)

// keyUsages and extKeyUsages map each usage to its X.509 form.
var (
	keyUsages = map[string]x509.KeyUsage{
		UsageSigning:           x509.KeyUsageDigitalSignature,
		UsageDigitalSignature:  x509.KeyUsageDigitalSignature,
		UsageContentCommitment: x509.KeyUsageContentCommitment,
		UsageKeyEncipherment:   x509.KeyUsageKeyEncipherment,
		UsageKeyAgreement:      x509.KeyUsageKeyAgreement,
		UsageDataEncipherment:  x509.KeyUsageDataEncipherment,
		UsageCertSign:          x509.KeyUsageCertSign,
		UsageCRLSign:           x509.KeyUsageCRLSign,
		UsageEncipherOnly:      x509.KeyUsageEncipherOnly,
		UsageDecipherOnly:      x509.KeyUsageDecipherOnly,
	}
	extKeyUsages = map[string]x509.ExtKeyUsage{
		UsageAny:             x509.ExtKeyUsageAny,
		UsageServerAuth:      x509.ExtKeyUsageServerAuth,
		UsageClientAuth:      x509.ExtKeyUsageClientAuth,
		UsageCodeSigning:     x509.ExtKeyUsageCodeSigning,
		UsageEmailProtection: x509.ExtKeyUsageEmailProtection,
		UsageSMIME:           x509.ExtKeyUsageEmailProtection,
		UsageIPsecEndSystem:  x509.ExtKeyUsageIPSECEndSystem,
		UsageIPsecTunnel:     x509.ExtKeyUsageIPSECTunnel,
		UsageIPsecUser:       x509.ExtKeyUsageIPSECUser,
		UsageTimestamping:    x509.ExtKeyUsageTimeStamping,
		UsageOCSPSigning:     x509.ExtKeyUsageOCSPSigning,
		UsageMicrosoftSGC:    x509.ExtKeyUsageMicrosoftServerGatedCrypto,
		UsageNetscapeSGC:     x509.ExtKeyUsageNetscapeServerGatedCrypto,
	}
)

// KnownUsage reports whether u is a usage certificates.k8s.io/v1 accepts.
func KnownUsage(u string) bool {
	_, k := keyUsages[u]
	_, e := extKeyUsages[u]
	return k || e
}

// X509Usages returns the key usage bits and extended key usages that usages name, in order and
// without repeats. It fails on the first usage it does not know.
func X509Usages(usages []string) (x509.KeyUsage, []x509.ExtKeyUsage, error) {
	var ku x509.KeyUsage
	var eku []x509.ExtKeyUsage
	seen := map[x509.ExtKeyUsage]bool{}
	for _, u := range usages {
		if k, ok := keyUsages[u]; ok {
			ku |= k
			continue
		}
		e, ok := extKeyUsages[u]
		if !ok {
			return 0, nil, fmt.Errorf("unknown key usage %q", u)
		}
		if !seen[e] {
			seen[e] = true
			eku = append(eku, e)
		}
	}
	return ku, eku, nil
}
