package io.switchboard.proxy.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Checks that a PEM private key belongs to a PEM certificate, by signing with the one and verifying
 * with the other. Neither the JDK nor BoringSSL checks this when a TLS context is built: a
 * mismatched pair fails only at the first handshake, and a certificate rotated in place would be
 * taken half-written (new key, old certificate).
 */
final class KeyPairCheck {

  private static final byte[] PROBE =
      "switchboard key pair check".getBytes(StandardCharsets.US_ASCII);

  private KeyPairCheck() {}

  /** Throws IllegalArgumentException naming the files when they are unreadable or do not match. */
  static void verify(String certFile, String keyFile) {
    try {
      X509Certificate cert;
      try (InputStream in = Files.newInputStream(Path.of(certFile))) {
        cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      }
      PrivateKey key = privateKey(Path.of(keyFile));
      String algorithm = signatureAlgorithm(key.getAlgorithm());
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(PROBE);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(PROBE);
      if (!verifier.verify(signature)) {
        throw new IllegalArgumentException(
            "the key in " + keyFile + " does not belong to the certificate in " + certFile);
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot read the certificate " + certFile + " and key " + keyFile + ": " + e.getMessage(),
          e);
    }
  }

  /** The first PKCS#8 key ("BEGIN PRIVATE KEY") in the file. */
  private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new GeneralSecurityException("no unencrypted PKCS#8 key (BEGIN PRIVATE KEY)");
    }
    String body = pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end);
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(body));
    GeneralSecurityException last = null;
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "DSA"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  private static String signatureAlgorithm(String keyAlgorithm) {
    return switch (keyAlgorithm) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "DSA" -> "SHA256withDSA";
      default -> keyAlgorithm; // Ed25519, Ed448
    };
  }
}
