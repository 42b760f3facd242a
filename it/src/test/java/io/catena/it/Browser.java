package io.catena.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real headless Chromium (Debian's chromium and chromium-driver) driven through chromedriver's W3C WebDriver HTTP
 * API: open a page, run a script in it, take a screenshot. Not thread-safe: one test owns it.
 */
final class Browser implements AutoCloseable {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process driver;
  private final String base;
  private final String session;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  Browser(Path profile, Path log) throws IOException, InterruptedException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
      throw new IllegalStateException("Chromium is not installed: apt-get install -y chromium chromium-driver");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    driver = new ProcessBuilder(DRIVER.toString(), "--port=" + port, "--log-path=" + log)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    base = "http://127.0.0.1:" + port;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        if (call("GET", "/status", null).path("value").path("ready").asBoolean()) {
          break;
        }
      } catch (IOException e) {
        if (!driver.isAlive() || System.nanoTime() > end) {
          driver.destroyForcibly();
          throw new IOException("chromedriver did not start; see " + log, e);
        }
      }
      Thread.sleep(100); // polling a starting driver
    }
    ObjectNode caps = JSON.createObjectNode();
    ObjectNode chrome = caps.putObject("capabilities").putObject("alwaysMatch").put("browserName", "chrome")
        .putObject("goog:chromeOptions").put("binary", CHROMIUM.toString());
    for (String arg : List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,1000", "--user-data-dir=" + profile)) {
      chrome.withArray("args").add(arg);
    }
    String id;
    try {
      id = call("POST", "/session", caps).path("value").path("sessionId").asText();
    } catch (IOException e) {
      driver.destroyForcibly();
      throw e;
    }
    session = "/session/" + id;
  }

  private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = JSON.readTree(r.body());
    if (r.statusCode() != 200) {
      throw new IOException("WebDriver " + method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return json;
  }

  /** Loads {@code url} and waits for the page's load event. */
  void open(String url) throws IOException, InterruptedException {
    call("POST", session + "/url", JSON.createObjectNode().put("url", url));
  }

  /** Runs {@code script} (a function body; {@code return} gives the result) in the current page. */
  JsonNode eval(String script) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("script", script);
    body.putArray("args");
    return call("POST", session + "/execute/sync", body).path("value");
  }

  /** The text of the page's body, as a user reads it. */
  String text() throws IOException, InterruptedException {
    return eval("return document.body.innerText;").asText();
  }

  /** Saves a PNG of the viewport. */
  void screenshot(Path png) throws IOException, InterruptedException {
    String b64 = call("GET", session + "/screenshot", null).path("value").asText();
    Files.createDirectories(png.getParent());
    Files.write(png, Base64.getDecoder().decode(b64));
  }

  @Override
  public void close() {
    try {
      call("DELETE", session, null);
    } catch (IOException | InterruptedException e) {
      // the driver goes anyway
    }
    driver.destroy();
    try {
      if (!driver.waitFor(10, TimeUnit.SECONDS)) {
        driver.destroyForcibly();
      }
    } catch (InterruptedException e) {
      driver.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    http.close();
  }
}
