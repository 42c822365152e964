package tak

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// CA is a room certificate authority: it issues the server's certificate
// and the devices' client certificates, and the TLS listener trusts only
// the clients it issued.
type CA struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// keyBits: ATAK, iTAK and WinTAK all import RSA keys in PKCS#12; ECDSA
// support varies between versions, so RSA it is.
const keyBits = 2048

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// NewCA makes a self-signed CA valid for the given time.
func NewCA(name string, valid time.Duration) (*CA, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: sn, Subject: pkix.Name{CommonName: name, Organization: []string{"opsroom"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(valid),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// Issued is a certificate and its key.
type Issued struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// IssueServer issues the listener's certificate for the given host names
// and IP addresses.
func (ca *CA) IssueServer(hosts []string, valid time.Duration) (*Issued, error) {
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: hosts[0], Organization: []string{"opsroom"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tmpl, valid)
}

// IssueClient issues a device's certificate: the common name is the
// member's username and the organizational unit, when room is set, the
// room the device joins.
func (ca *CA) IssueClient(username, room string, valid time.Duration) (*Issued, error) {
	subj := pkix.Name{CommonName: strings.ToLower(username), Organization: []string{"opsroom"}}
	if room != "" {
		subj.OrganizationalUnit = []string{room}
	}
	return ca.issue(&x509.Certificate{Subject: subj, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, valid)
}

func (ca *CA) issue(tmpl *x509.Certificate, valid time.Duration) (*Issued, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(valid)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Issued{Cert: cert, Key: key}, nil
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM encodes a private key as PKCS#8 PEM.
func KeyPEM(k *rsa.PrivateKey) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(k) // cannot fail for an RSA key
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// LoadCA reads a CA written by (*CA).Write.
func LoadCA(certFile, keyFile string) (*CA, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok || !cert.IsCA {
		return nil, errors.New("not an opsroom room CA (RSA CA certificate and key)")
	}
	return &CA{Cert: cert, Key: key}, nil
}

// P12 encodes a certificate, its key and the CA as a password-protected
// PKCS#12 file. The legacy encryption (3DES, SHA-1 MAC) is what every
// ATAK and iTAK version imports; the file's protection is the data
// package's transport, not this password.
func P12(is *Issued, ca *x509.Certificate, password string) ([]byte, error) {
	return pkcs12.LegacyDES.Encode(is.Key, is.Cert, []*x509.Certificate{ca}, password)
}

// TrustStore encodes the CA as a PKCS#12 trust store, which TAK clients
// use to verify the server.
func TrustStore(ca *x509.Certificate, password string) ([]byte, error) {
	return pkcs12.LegacyDES.EncodeTrustStore([]*x509.Certificate{ca}, password)
}

// ServerTLS returns the mutual-TLS configuration of the listener: the
// server's certificate, and client certificates required and verified
// against the room CA.
func ServerTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12}, nil
}

// DataPackage builds the zip a TAK client imports to connect: the
// client's .p12, the CA trust store, a preference file naming the server
// (host:port:ssl) and setting the device's callsign to the member's
// username (the name chat is addressed to), and the manifest.
func DataPackage(name, connect string, client *Issued, ca *x509.Certificate, password string) ([]byte, error) {
	p12, err := P12(client, ca, password)
	if err != nil {
		return nil, err
	}
	trust, err := TrustStore(ca, password)
	if err != nil {
		return nil, err
	}
	user := client.Cert.Subject.CommonName
	pref := fmt.Sprintf(`<?xml version='1.0' encoding='ASCII' standalone='yes'?>
<preferences>
  <preference version="1" name="cot_streams">
    <entry key="count" class="class java.lang.Integer">1</entry>
    <entry key="description0" class="class java.lang.String">%s</entry>
    <entry key="enabled0" class="class java.lang.Boolean">true</entry>
    <entry key="connectString0" class="class java.lang.String">%s:ssl</entry>
  </preference>
  <preference version="1" name="com.atakmap.app_preferences">
    <entry key="displayServerConnectionWidget" class="class java.lang.Boolean">true</entry>
    <entry key="caLocation" class="class java.lang.String">cert/truststore-root.p12</entry>
    <entry key="caPassword" class="class java.lang.String">%s</entry>
    <entry key="clientPassword" class="class java.lang.String">%s</entry>
    <entry key="certificateLocation" class="class java.lang.String">cert/%s.p12</entry>
    <entry key="locationCallsign" class="class java.lang.String">%s</entry>
  </preference>
</preferences>
`, xmlEscape(name), xmlEscape(connect), xmlEscape(password), xmlEscape(password), xmlEscape(user), xmlEscape(user))
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	uid := fmt.Sprintf("%032x", sn)
	manifest := fmt.Sprintf(`<MissionPackageManifest version="2">
  <Configuration>
    <Parameter name="uid" value="%s-%s-%s-%s-%s"/>
    <Parameter name="name" value="%s"/>
    <Parameter name="onReceiveDelete" value="true"/>
  </Configuration>
  <Contents>
    <Content ignore="false" zipEntry="cert/opsroom.pref"/>
    <Content ignore="false" zipEntry="cert/truststore-root.p12"/>
    <Content ignore="false" zipEntry="cert/%s.p12"/>
  </Contents>
</MissionPackageManifest>
`, uid[0:8], uid[8:12], uid[12:16], uid[16:20], uid[20:32], xmlEscape(name+" "+user), xmlEscape(user))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"MANIFEST/manifest.xml", []byte(manifest)},
		{"cert/opsroom.pref", []byte(pref)},
		{"cert/truststore-root.p12", trust},
		{"cert/" + user + ".p12", p12},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
