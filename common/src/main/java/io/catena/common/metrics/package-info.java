/**
 * Instrumentation shared by every module: the conventions Catena's meters follow (Prometheus names in base units,
 * one latency bucket layout), over Micrometer's {@link io.micrometer.core.instrument.MeterRegistry}. A process makes
 * exactly one registry and passes it to what it builds; nothing here holds one.
 */
package io.catena.common.metrics;
