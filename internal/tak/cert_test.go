package tak

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// testPKI is a room CA with a server certificate in a directory, as
// `opsroom cert` writes it.
type testPKI struct {
	ca  *CA
	dir string
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	ca, err := NewCA("test room CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.IssueServer([]string{"127.0.0.1", "localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ca.pem": CertPEM(ca.Cert), "ca.key": KeyPEM(ca.Key), "server.pem": CertPEM(srv.Cert), "server.key": KeyPEM(srv.Key)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &testPKI{ca: ca, dir: dir}
}

func (p *testPKI) serverTLS(t testing.TB) *tls.Config {
	t.Helper()
	c, err := ServerTLS(filepath.Join(p.dir, "server.pem"), filepath.Join(p.dir, "server.key"), filepath.Join(p.dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *testPKI) client(t testing.TB, ca *CA, user, room string) tls.Certificate {
	t.Helper()
	is, err := ca.IssueClient(user, room, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(CertPEM(is.Cert), KeyPEM(is.Key))
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// TestMutualTLS: a certificate issued by the room CA for a member lets
// its device in; one from another CA, none at all, or a disabled member's
// is refused at the door.
func TestMutualTLS(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pki := newPKI(t)
		other, err := NewCA("someone else", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s := w.server(t, Config{TLSAddr: "127.0.0.1:0", TLS: pki.serverTLS(t), HandshakeTimeout: 2 * time.Second})
		addr := s.Addrs()[0].String()
		roots := x509.NewCertPool()
		roots.AddCert(pki.ca.Cert)
		dial := func(certs []tls.Certificate) (*tls.Conn, error) {
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: certs})
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { c.Close() })
			return c, c.Handshake()
		}

		c, err := dial([]tls.Certificate{pki.client(t, pki.ca, "a1", "ops")})
		if err != nil {
			t.Fatalf("a1's certificate refused: %v", err)
		}
		d := newDevice(t, c)
		peer, err := dial([]tls.Certificate{pki.client(t, pki.ca, "b1", "")}) // b1 is in one room: no OU needed
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return s.Metrics().ConnsOpen.Load() == 2 })
		d.send(posEvent("a1-tls", "A1", 33.5, 36.3))
		if ev := newDevice(t, peer).next(3 * time.Second); ev == nil || ev.UID != "a1-tls" {
			t.Fatalf("b1 did not receive a1's position over TLS: %v", ev)
		}

		refused := func(name string, certs []tls.Certificate) {
			t.Helper()
			before := s.Metrics().ConnsRefused.Load()
			if c, err := dial(certs); err == nil {
				// TLS 1.3 reports a refused client certificate on the first read.
				c.SetReadDeadline(time.Now().Add(3 * time.Second))
				io.ReadAll(c)
			}
			for range 300 {
				if s.Metrics().ConnsRefused.Load() == before+1 {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Errorf("%s: not refused", name)
		}
		refused("other CA", []tls.Certificate{pki.client(t, other, "a1", "ops")})
		refused("no certificate", nil)
		refused("unknown member", []tls.Certificate{pki.client(t, pki.ca, "nobody", "ops")})
		disabled := true
		if _, err := w.members.UpdateMember(context.Background(), access.System, "c1", account.MemberPatch{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		refused("disabled member", []tls.Certificate{pki.client(t, pki.ca, "c1", "ops")})
	})
}

// TestDataPackage: the zip a TAK client imports holds the manifest, the
// preference file naming the server, the CA trust store and the device's
// certificate, all readable with the password.
func TestDataPackage(t *testing.T) {
	pki := newPKI(t)
	is, err := pki.ca.IssueClient("a1", "ops", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := DataPackage("opsroom", "tak.example.org:8089", is, pki.ca.Cert, "atakatak")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	for _, name := range []string{"MANIFEST/manifest.xml", "cert/opsroom.pref", "cert/truststore-root.p12", "cert/a1.p12"} {
		if files[name] == nil {
			t.Fatalf("data package lacks %s", name)
		}
	}
	if !bytes.Contains(files["cert/opsroom.pref"], []byte("tak.example.org:8089:ssl")) {
		t.Error("preference file does not name the server")
	}
	if !bytes.Contains(files["cert/opsroom.pref"], []byte(`<entry key="locationCallsign" class="class java.lang.String">a1</entry>`)) {
		t.Error("preference file does not set the callsign to the member's username")
	}
	for _, entry := range []string{"cert/opsroom.pref", "cert/truststore-root.p12", "cert/a1.p12"} {
		if !strings.Contains(string(files["MANIFEST/manifest.xml"]), `zipEntry="`+entry+`"`) {
			t.Errorf("manifest does not list %s", entry)
		}
	}
	key, cert, chain, err := pkcs12.DecodeChain(files["cert/a1.p12"], "atakatak")
	if err != nil || key == nil || cert.Subject.CommonName != "a1" || len(chain) != 1 {
		t.Fatalf("client .p12: %v (cn %q, chain %d)", err, cert.Subject.CommonName, len(chain))
	}
	trust, err := pkcs12.DecodeTrustStore(files["cert/truststore-root.p12"], "atakatak")
	if err != nil || len(trust) != 1 || !trust[0].Equal(pki.ca.Cert) {
		t.Fatalf("trust store: %v", err)
	}
}
