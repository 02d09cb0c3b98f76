package s3api

import (
	"net/netip"
	"strings"
)

// validBucketName reports whether name follows the S3 bucket naming rules:
// 3-63 characters of lower-case letters, digits, '.' and '-'; beginning
// and ending with a letter or digit; no "..", no ".-" or "-."; not an IPv4
// address; not starting with "xn--", "sthree-" or "amzn-s3-demo-"; not
// ending with "-s3alias", "--ol-s3", "--x-s3" or ".mrap".
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
			if p := name[i-1]; p == '.' && c == '.' || p == '.' && c == '-' || p == '-' && c == '.' {
				return false
			}
		default:
			return false
		}
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return false
	}
	for _, p := range [...]string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range [...]string{"-s3alias", "--ol-s3", "--x-s3", ".mrap"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}
