package dev.sluice.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.config.JwtSettings;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Verifies JWT bearer tokens with vertx-auth-jwt and maps their claims to a {@link Principal}.
 *
 * <p>Keys: an HS256 shared secret and/or the RS256/ES256 keys of a JWKS. File and URL sources are
 * read asynchronously (Vert.x file system, HTTP client) at start, every {@code reloadSeconds}, and
 * when a token names a key id not loaded yet (at most every {@code minReloadSeconds}); each load
 * builds a new verifier that replaces the old one at once, so keys rotate without a restart. A
 * failed reload keeps the keys that were loaded.
 *
 * <p>Verification is CPU only (a signature check of microseconds, never I/O), so it runs on the
 * event loop like TLS does; a bounded cache of recently verified tokens spares repeated checks of
 * the same token, and is emptied whenever the keys change. Every failure is a 401 in the JSON error
 * shape, never a 500.
 */
public final class JwtAuthenticator {
  private static final Logger LOG = Logger.getLogger(JwtAuthenticator.class.getName());

  /** The verifier of one key set, and the key ids it knows. */
  private record Keys(JWTAuth auth, Set<String> kids, String fingerprint) {}

  /** A verified token's principal, valid until {@code expiresAt} (epoch seconds, leeway included). */
  private record Verified(Principal principal, long expiresAt) {}

  private final Vertx vertx;
  private final JwtSettings settings;
  private final HttpClient http;
  private final Cache<String, Verified> verified;
  private volatile Keys keys;
  private volatile long lastLoadNanos;
  private Future<Void> loading;
  private long timer = -1;

  private JwtAuthenticator(Vertx vertx, JwtSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.http = settings.jwksUrl().isEmpty() ? null
        : vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5000).setIdleTimeout(30));
    this.verified = Caffeine.newBuilder().maximumSize(settings.cacheMaxEntries())
        .expireAfterWrite(Duration.ofSeconds(settings.reloadSeconds())).build();
  }

  /** Loads the keys (failing when none can be loaded) and schedules the periodic reload. */
  public static Future<JwtAuthenticator> start(Vertx vertx, JwtSettings settings) {
    JwtAuthenticator a = new JwtAuthenticator(vertx, settings);
    return a.reload().compose(v -> {
      if (a.keys == null) return Future.failedFuture(new IllegalStateException("auth.jwt: no key could be loaded"));
      a.timer = vertx.setPeriodic(settings.reloadSeconds() * 1000L, id -> a.reload());
      return Future.succeededFuture(a);
    });
  }

  public void close() {
    if (timer >= 0) vertx.cancelTimer(timer);
    if (http != null) http.close();
  }

  /** Whether a bearer credential has the shape of a JWT (three base64url parts), as opposed to an API key. */
  public static boolean looksLikeJwt(String credential) {
    int first = credential.indexOf('.');
    int last = credential.lastIndexOf('.');
    return first > 0 && last > first + 1 && credential.indexOf('.', first + 1) == last;
  }

  /** The principal of a valid token; a 401 {@link ApiError} for anything else. */
  public Future<Principal> authenticate(String token) {
    Verified hit = verified.getIfPresent(token);
    if (hit != null) {
      if (System.currentTimeMillis() / 1000 <= hit.expiresAt()) return Future.succeededFuture(hit.principal());
      verified.invalidate(token);
      return Future.failedFuture(invalid("it has expired"));
    }
    JsonObject header;
    try {
      header = new JsonObject(new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
          StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return Future.failedFuture(invalid("it is malformed"));
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String a) || !settings.algorithms().contains(a)) {
      return Future.failedFuture(invalid("its algorithm is not accepted (" + settings.algorithms() + ")"));
    }
    Object kid = header.getValue("kid");
    Keys current = keys;
    if (kid instanceof String k && !current.kids().contains(k) && reloadable()) {
      // A key id we do not know: the issuer may have rotated its keys; look again before refusing.
      return reloadSoon().transform(v -> verify(token));
    }
    return verify(token);
  }

  private Future<Principal> verify(String token) {
    return keys.auth().authenticate(new TokenCredentials(token))
        .recover(err -> Future.failedFuture(invalid(reason(err, token))))
        .compose(user -> {
          Principal p = principal(user);
          Long exp = user.principal().getLong("exp");
          verified.put(token, new Verified(p, exp == null ? Long.MAX_VALUE : exp + settings.leewaySeconds()));
          return Future.succeededFuture(p);
        });
  }

  /** Maps the configured claims to tenant and role. */
  private Principal principal(User user) {
    JsonObject claims = user.principal();
    Object tenantValue = claim(claims, settings.tenantClaim());
    long tenant;
    if (tenantValue instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= 0) {
      tenant = n.longValue();
    } else if (tenantValue instanceof String s && s.matches("\\d{1,18}")) {
      tenant = Long.parseLong(s);
    } else {
      throw invalid("its '" + settings.tenantClaim() + "' claim is missing or not a tenant id");
    }
    Object roleValue = claim(claims, settings.roleClaim());
    Role role;
    try {
      role = Role.valueOf(String.valueOf(roleValue).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw invalid("its '" + settings.roleClaim() + "' claim is missing or not reader, writer or admin");
    }
    String subject = claims.getValue("sub") == null ? "tenant:" + tenant + ":" + role.name().toLowerCase(Locale.ROOT)
        : claims.getValue("iss") + "/" + claims.getValue("sub");
    return new Principal(tenant, role, "jwt:" + subject);
  }

  /** A claim by dotted path (app_metadata.tenant), or null. */
  static Object claim(JsonObject claims, String path) {
    Object v = claims;
    for (String part : path.split("\\.")) {
      if (!(v instanceof JsonObject o)) return null;
      v = o.getValue(part);
    }
    return v;
  }

  /** A person-readable reason from vertx-auth-jwt's failure, without echoing the token. */
  private String reason(Throwable err, String token) {
    String m = String.valueOf(err.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("expired")) {
      // vertx-auth-jwt says "expired" for a token used before its nbf (or iat) too: tell them apart.
      long now = System.currentTimeMillis() / 1000;
      JsonObject claims = payload(token);
      for (String early : new String[] {"nbf", "iat"}) {
        if (claims.getValue(early) instanceof Number n && n.longValue() > now + settings.leewaySeconds()) {
          return "it is not valid yet";
        }
      }
      return "it has expired";
    }
    if (m.contains("issuer") || m.contains("iss")) return "its issuer is not accepted";
    if (m.contains("audience") || m.contains("aud")) return "its audience is not accepted";
    if (m.contains("signature") || m.contains("verify") || m.contains("crypto")) return "its signature does not verify";
    return "it is malformed";
  }

  /** The token's claims, unverified (only to word an error), or an empty object. */
  private static JsonObject payload(String token) {
    try {
      String[] parts = token.split("\\.");
      return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

  private static ApiError invalid(String why) {
    return new ApiError(401, "unauthorized", "The bearer token is not valid: " + why + ".");
  }

  private boolean reloadable() {
    return !settings.secretFile().isEmpty() || !settings.jwksFile().isEmpty() || !settings.jwksUrl().isEmpty();
  }

  /** A reload now unless one ran within minReloadSeconds; concurrent callers share one. */
  private synchronized Future<Void> reloadSoon() {
    if (loading != null) return loading;
    if (System.nanoTime() - lastLoadNanos < TimeUnit.SECONDS.toNanos(settings.minReloadSeconds())) {
      return Future.succeededFuture();
    }
    return reload();
  }

  /** Reads every key source and, when that succeeds, swaps the verifier in. */
  synchronized Future<Void> reload() {
    if (loading != null) return loading;
    Future<Void> f = Future.all(secret(), jwks()).compose(all -> {
      String secret = all.resultAt(0);
      JsonArray jwks = all.resultAt(1);
      install(secret, jwks);
      return Future.<Void>succeededFuture();
    }).recover(err -> {
      LOG.warning("JWT keys not reloaded, the loaded ones stay: " + err.getMessage());
      return Future.succeededFuture();
    }).eventually(() -> {
      synchronized (this) {
        loading = null;
        lastLoadNanos = System.nanoTime();
      }
      return Future.succeededFuture();
    });
    if (!f.isComplete()) loading = f;
    return f;
  }

  private void install(String secret, JsonArray jwks) {
    String fingerprint = secret.hashCode() + "/" + jwks.encode().hashCode();
    Keys old = keys;
    if (old != null && old.fingerprint().equals(fingerprint)) return;
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(jwtOptions());
    Set<String> kids = new HashSet<>();
    int count = 0;
    if (!secret.isEmpty() && settings.algorithms().contains("HS256")) {
      options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret));
      count++;
    }
    for (int i = 0; i < jwks.size(); i++) {
      JsonObject jwk = jwks.getJsonObject(i);
      String alg = jwk.getString("alg");
      if (alg == null || !settings.algorithms().contains(alg) || "enc".equals(jwk.getString("use"))) continue;
      options.addJwk(jwk);
      if (jwk.getString("kid") != null) kids.add(jwk.getString("kid"));
      count++;
    }
    // Never build a verifier without keys: vertx-auth-jwt would then accept unsigned ("none") tokens.
    if (count == 0) throw new IllegalStateException("no usable key (HS256 secret or JWKS key with an accepted alg)");
    keys = new Keys(JWTAuth.create(vertx, options), Set.copyOf(kids), fingerprint);
    verified.invalidateAll();
    if (old != null) LOG.info("JWT keys reloaded: " + count + " key(s), key ids " + kids);
  }

  private JWTOptions jwtOptions() {
    JWTOptions o = new JWTOptions().setLeeway(settings.leewaySeconds());
    if (!settings.issuer().isEmpty()) o.setIssuer(settings.issuer());
    if (!settings.audience().isEmpty()) o.setAudience(List.of(settings.audience()));
    return o;
  }

  private Future<String> secret() {
    if (!settings.secretFile().isEmpty()) {
      return vertx.fileSystem().readFile(settings.secretFile()).map(b -> {
        String s = b.toString(StandardCharsets.UTF_8).trim();
        if (s.getBytes(StandardCharsets.UTF_8).length < 32) {
          throw new IllegalStateException("auth.jwt.secretFile: the secret must be at least 32 bytes");
        }
        return s;
      });
    }
    return Future.succeededFuture(settings.secret());
  }

  /** The keys of the JWKS file and of the JWKS URL, together. */
  private Future<JsonArray> jwks() {
    Future<Buffer> file = settings.jwksFile().isEmpty() ? Future.succeededFuture(null)
        : vertx.fileSystem().readFile(settings.jwksFile());
    Future<Buffer> url = settings.jwksUrl().isEmpty() ? Future.succeededFuture(null) : fetch(settings.jwksUrl());
    return Future.all(file, url).map(all -> {
      List<Object> keys = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        Buffer b = all.resultAt(i);
        if (b != null) keys.addAll(b.toJsonObject().getJsonArray("keys", new JsonArray()).getList());
      }
      return new JsonArray(keys);
    });
  }

  private Future<Buffer> fetch(String url) {
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url).setTimeout(5000))
        .compose(req -> req.send())
        .compose(res -> res.statusCode() == 200 ? res.body()
            : Future.failedFuture("JWKS at " + url + " answered HTTP " + res.statusCode()));
  }
}
