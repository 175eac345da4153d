package io.switchboard.proxy;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made for one test run, and certificates it signs, written as PEM files
 * the way Redis ({@code tls-cert-file}, {@code tls-key-file}, {@code tls-ca-cert-file}) and the
 * proxy read them: certificate, unencrypted PKCS#8 key, CA certificate.
 */
final class TestCertificates {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /**
   * One issued certificate: its file, its key's file, the file of the CA that signed it, and the
   * same in memory for Java clients.
   */
  record Issued(Path cert, Path key, Path ca, X509Certificate certificate, PrivateKey privateKey) {}

  private final Path dir;
  private final KeyPair caKeys;
  private final X509Certificate caCert;
  private final Path caFile;

  private TestCertificates(Path dir, String name) throws IOException {
    this.dir = dir;
    try {
      this.caKeys = newKeys();
      X500Name subject = new X500Name("CN=" + name);
      X509v3CertificateBuilder builder = builder(subject, subject, caKeys);
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      this.caCert = sign(builder, caKeys.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException(e);
    }
    this.caFile = write(dir.resolve(name + "-ca.pem"), caCert);
  }

  /** A new CA whose files go to {@code dir}, named {@code name}. */
  static TestCertificates authority(Path dir, String name) throws IOException {
    return new TestCertificates(Files.createDirectories(dir), name);
  }

  Path caFile() {
    return caFile;
  }

  /**
   * A certificate for {@code commonName}, valid for "localhost" and 127.0.0.1 (so it serves a Redis
   * node or the proxy on loopback) and, carrying no extended key usage, as a client certificate.
   */
  Issued issue(String commonName) throws IOException {
    return issue(
        commonName,
        new GeneralName(GeneralName.dNSName, "localhost"),
        new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
  }

  /** A certificate for {@code commonName} valid for the given names only. */
  Issued issue(String commonName, GeneralName... names) throws IOException {
    try {
      KeyPair keys = newKeys();
      X509v3CertificateBuilder builder =
          builder(
              X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()),
              new X500Name("CN=" + commonName),
              keys);
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      X509Certificate cert = sign(builder, caKeys.getPrivate());
      String base =
          caFile.getFileName().toString().replace("-ca.pem", "")
              + "-"
              + commonName
              + "-"
              + SERIAL.incrementAndGet();
      return new Issued(
          write(dir.resolve(base + ".pem"), cert),
          writeKey(dir.resolve(base + ".key"), keys),
          caFile,
          cert,
          keys.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException(e);
    }
  }

  /**
   * A client-side TLS context trusting this CA, presenting {@code identity} (from any CA) when not
   * null.
   */
  SSLContext clientContext(Issued identity) throws IOException {
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      trusted.setCertificateEntry("ca", caCert);
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      X509ExtendedKeyManager keys = null;
      if (identity != null) {
        char[] password = "test".toCharArray();
        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        own.setKeyEntry(
            "me", identity.privateKey(), password, new Certificate[] {identity.certificate()});
        KeyManagerFactory factory =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(own, password);
        keys = new AlwaysPresent((X509ExtendedKeyManager) factory.getKeyManagers()[0]);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : new KeyManager[] {keys}, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  /**
   * Presents the certificate whatever CAs the server names as acceptable: the JDK otherwise sends
   * none when they do not match, and a test of the server's check would test the client's.
   */
  private static final class AlwaysPresent extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager keys;

    AlwaysPresent(X509ExtendedKeyManager keys) {
      this.keys = keys;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "me";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "me";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"me"};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return keys.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return keys.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return keys.getPrivateKey(alias);
    }
  }

  private static KeyPair newKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(2))),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }

  private static Path write(Path file, Object pemObject) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(pemObject);
    }
    return Files.writeString(file, text.toString());
  }

  private static Path writeKey(Path file, KeyPair keys) throws IOException {
    return write(file, new JcaPKCS8Generator(keys.getPrivate(), null).generate());
  }
}
