package dev.sluice.openapi;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Serves the document at GET /openapi.json and Swagger UI at GET /docs, from the
 * org.webjars:swagger-ui jar on the classpath (no CDN), and checks the document against the
 * routes the router really serves.
 */
public final class OpenApiRoutes {
  private static final Logger LOG = Logger.getLogger(OpenApiRoutes.class.getName());
  private static final String WEBJAR = "META-INF/resources/webjars/swagger-ui/";
  private static final String WEBJAR_VERSION = "META-INF/maven/org.webjars/swagger-ui/pom.properties";
  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence HTML = HttpHeaders.createOptimized("text/html; charset=utf-8");
  /** Swagger UI's own page, pointed at /openapi.json instead of the webjar's demo document. */
  private static final Buffer PAGE = Buffer.buffer("""
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>Sluice API</title>
        <link rel="stylesheet" href="/docs/swagger-ui.css">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/docs/swagger-ui-bundle.js"></script>
        <script src="/docs/swagger-ui-standalone-preset.js"></script>
        <script>
          window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
            presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});
        </script>
      </body>
      </html>
      """);

  private OpenApiRoutes() {}

  /**
   * Adds GET /openapi.json, GET /docs and the Swagger UI files under /docs/. Completes when the
   * webjar's folder is known (its version is read asynchronously from the jar).
   */
  public static Future<Void> mount(Vertx vertx, Router router, JsonObject document) {
    Buffer body = document.toBuffer();
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body));
    router.get("/docs").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, HTML).end(PAGE));
    StaticHandler[] files = new StaticHandler[1];
    router.get("/docs/*").handler(ctx -> {
      // The webjar's own index.html shows Swagger's demo document: send that page to ours.
      if (ctx.normalizedPath().endsWith("/index.html")) ctx.redirect("/docs");
      else if (files[0] == null) ctx.next();
      else files[0].handle(ctx);
    });
    return vertx.fileSystem().readFile(WEBJAR_VERSION).map(b -> {
      Properties p = new Properties();
      try {
        p.load(new java.io.StringReader(b.toString()));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      files[0] = StaticHandler.create(WEBJAR + p.getProperty("version")).setCachingEnabled(true);
      Set<String> missing = undocumented(router, document);
      if (!missing.isEmpty()) LOG.warning("routes served but missing from /openapi.json (add them in ApiRoutes): " + missing);
      return null;
    });
  }

  /** "METHOD /path" of every route the router serves that the document does not list. */
  public static Set<String> undocumented(Router router, JsonObject document) {
    Set<String> documented = documented(document);
    Set<String> out = new TreeSet<>();
    for (String served : served(router)) {
      if (served.startsWith("ANY ")) {
        String path = served.substring(4);
        if (documented.stream().noneMatch(d -> d.endsWith(" " + path))) out.add(served);
      } else if (!documented.contains(served)) {
        out.add(served);
      }
    }
    return out;
  }

  /** "METHOD /path" of every documented operation no route serves. */
  public static Set<String> unserved(Router router, JsonObject document) {
    Set<String> served = served(router);
    Set<String> out = new TreeSet<>();
    for (String d : documented(document)) {
      if (!served.contains(d) && !served.contains("ANY " + d.substring(d.indexOf(' ') + 1))) out.add(d);
    }
    return out;
  }

  /**
   * The endpoints of the router: routes with an exact path (":param" written "{param}"), per method
   * ("ANY" when the route takes every method). Prefix routes ("/v1/*": authentication, limits, static
   * files) and regex routes are middleware, not endpoints, and are left out.
   */
  static Set<String> served(Router router) {
    Set<String> out = new TreeSet<>();
    for (Route r : router.getRoutes()) {
      String path = r.getPath();
      if (path == null || !r.isExactPath()) continue;
      String template = path.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      Set<HttpMethod> methods = r.methods();
      if (methods == null || methods.isEmpty()) out.add("ANY " + template);
      else methods.forEach(m -> out.add(m.name() + " " + template));
    }
    return out;
  }

  /** "METHOD route" of every operation in the document (the route from x-sluice-route). */
  static Set<String> documented(JsonObject document) {
    Set<String> out = new TreeSet<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        out.add(method.toUpperCase() + " " + item.getJsonObject(method).getString("x-sluice-route", path));
      }
    }
    return out;
  }
}
