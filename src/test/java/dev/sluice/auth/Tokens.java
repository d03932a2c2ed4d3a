package dev.sluice.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;

/** Test helper: signs tokens (HS256 with a secret, RS256/ES256 with a fresh key pair) and gives the JWKS entry of a key. */
public final class Tokens {
  public static final String DEMO_SECRET = "sluice-demo-jwt-secret-change-me-0123456789";

  private final JWTAuth signer;
  private final String alg;
  private final String kid;
  public final JsonObject jwk;

  private Tokens(JWTAuth signer, String alg, String kid, JsonObject jwk) {
    this.signer = signer;
    this.alg = alg;
    this.kid = kid;
    this.jwk = jwk;
  }

  public static Tokens hs256(Vertx vertx, String secret) {
    return new Tokens(JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))), "HS256", null, null);
  }

  /** A new RSA (RS256) or EC P-256 (ES256) key pair, its kid, and the public half as a JWK. */
  public static Tokens keyPair(Vertx vertx, String alg, String kid) throws Exception {
    KeyPairGenerator g;
    JsonObject jwk = new JsonObject().put("kid", kid).put("alg", alg).put("use", "sig");
    KeyPair pair;
    if (alg.equals("RS256")) {
      g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      pair = g.generateKeyPair();
      RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
      jwk.put("kty", "RSA").put("n", b64(unsigned(pub.getModulus(), 0))).put("e", b64(unsigned(pub.getPublicExponent(), 0)));
    } else {
      g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      pair = g.generateKeyPair();
      ECPublicKey pub = (ECPublicKey) pair.getPublic();
      jwk.put("kty", "EC").put("crv", "P-256").put("x", b64(unsigned(pub.getW().getAffineX(), 32)))
          .put("y", b64(unsigned(pub.getW().getAffineY(), 32)));
    }
    String pem = "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(alg).setBuffer(pem).setId(kid)));
    return new Tokens(signer, alg, kid, jwk);
  }

  /** Signs the claims as they are (no iat added, no expiry unless the claims have one). */
  public String sign(JsonObject claims) {
    JWTOptions o = new JWTOptions().setAlgorithm(alg).setNoTimestamp(true);
    if (kid != null) o.setHeader(new JsonObject().put("kid", kid));
    return signer.generateToken(claims, o);
  }

  public static JsonObject claims(long tenant, String role) {
    long now = System.currentTimeMillis() / 1000;
    return new JsonObject().put("sub", "user-" + tenant + "-" + role).put("tenant", tenant).put("role", role)
        .put("iat", now).put("exp", now + 600);
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] unsigned(BigInteger v, int length) {
    byte[] b = v.toByteArray();
    if (b.length > 1 && b[0] == 0) b = Arrays.copyOfRange(b, 1, b.length);
    if (length > b.length) {
      byte[] padded = new byte[length];
      System.arraycopy(b, 0, padded, length - b.length, b.length);
      b = padded;
    }
    return b;
  }
}
