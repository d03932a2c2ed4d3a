package dev.sluice.http;

import dev.sluice.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Locale;

/**
 * The buffered body of the JSON routes (search, batch, PATCH, a JSON-array bulk): application/json
 * (or no Content-Type) up to the body limit. Any other media type is a 415 before the body is read,
 * so vertx-web's BodyHandler never tries to decode a form or multipart body that our parsers would
 * not read anyway (a form body that did not decode was a 500).
 */
final class JsonBody {
  private JsonBody() {}

  static Handler<RoutingContext> create(long limitBytes) {
    BodyHandler body = BodyHandler.create().setBodyLimit(limitBytes).setHandleFileUploads(false);
    return ctx -> {
      String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (type == null || isJson(type)) {
        body.handle(ctx);
      } else {
        ctx.fail(new ApiError(415, "unsupported_media_type", "Send the body as application/json."));
      }
    };
  }

  private static boolean isJson(String contentType) {
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    return media.equals("application/json");
  }
}
