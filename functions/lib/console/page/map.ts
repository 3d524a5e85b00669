/**
 * The map: MEC zones, one marker per twin on a canvas layer (thousands of markers stay fluid),
 * and the selected twin's trail, perceived objects and hazards. Without a tile URL the map has
 * a plain background, so it works with no network.
 */
import L from "leaflet";
import type { TwinMarker } from "../../model/liveFeed.ts";
import type { Twin } from "../../model/twin.ts";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const MIGRATING = "#ffb000";

export class ConsoleMap {
  private readonly map: L.Map;
  private readonly renderer = L.canvas({ padding: 0.3 });
  private readonly markers = new Map<string, L.CircleMarker>();
  private readonly colours = new Map<string, string>();
  private readonly selection = L.layerGroup();
  private zoneCount = 0;

  constructor(
    element: HTMLElement,
    private readonly onSelect: (id: string) => void,
  ) {
    this.map = L.map(element, { preferCanvas: true, renderer: this.renderer, attributionControl: true });
    this.map.setView([40.63, -8.65], 13);
    this.selection.addTo(this.map);
  }

  addTiles(url: string, attribution: string): void {
    L.tileLayer(url, { attribution, maxZoom: 19 }).addTo(this.map);
  }

  colourOf(mec: string): string {
    return this.colours.get(mec) ?? "#555";
  }

  /** The zones (a GeoJSON FeatureCollection, one feature per MEC), each in its MEC's colour. */
  setZones(mecs: string[], zones: GeoJSON.FeatureCollection): void {
    for (const [index, mec] of mecs.entries())
      this.colours.set(mec, PALETTE[index % PALETTE.length] as string);
    const layer = L.geoJSON(zones, {
      style: (feature) => {
        const colour = this.colourOf(String(feature?.id ?? ""));
        return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.07 };
      },
      onEachFeature: (feature, zone) => zone.bindTooltip(String(feature.properties?.name ?? feature.id)),
    }).addTo(this.map);
    this.zoneCount = zones.features.length;
    const bounds = layer.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [20, 20], animate: false });
  }

  upsert(twin: TwinMarker): void {
    if (twin.lat === undefined || twin.lon === undefined) return;
    const style = this.styleOf(twin);
    const existing = this.markers.get(twin.id);
    if (existing !== undefined) {
      existing.setLatLng([twin.lat, twin.lon]);
      existing.setStyle(style);
      existing.setRadius(style.radius);
      return;
    }
    const marker = L.circleMarker([twin.lat, twin.lon], { ...style, renderer: this.renderer });
    marker.bindTooltip(twin.id);
    marker.on("click", () => this.onSelect(twin.id));
    marker.addTo(this.map);
    this.markers.set(twin.id, marker);
  }

  /** Drops every twin marker (a new stream starts with the whole state again). */
  clearTwins(): void {
    for (const marker of this.markers.values()) marker.remove();
    this.markers.clear();
  }

  remove(id: string): void {
    this.markers.get(id)?.remove();
    this.markers.delete(id);
  }

  /** Zooms to where the twins are, once they are drawn (the zones can be much larger). */
  fitTwins(): boolean {
    if (this.markers.size === 0) return false;
    const bounds = L.latLngBounds([...this.markers.values()].map((marker) => marker.getLatLng()));
    this.map.fitBounds(bounds, { padding: [60, 60], maxZoom: 16, animate: false });
    return true;
  }

  /** Where a twin's marker is drawn, in pixels from the map's top left corner. */
  pointOf(id: string): { x: number; y: number } | undefined {
    const marker = this.markers.get(id);
    if (marker === undefined) return undefined;
    const point = this.map.latLngToContainerPoint(marker.getLatLng());
    return { x: point.x, y: point.y };
  }

  counts(): { twins: number; zones: number } {
    return { twins: this.markers.size, zones: this.zoneCount };
  }

  /** Draws the selected twin's trail, perceived objects (an RSU's or a vehicle's CPM) and hazards. */
  showDetail(twin: Twin | undefined): void {
    this.selection.clearLayers();
    if (twin === undefined) return;
    const colour = this.colourOf(twin.mec);
    if (twin.trajectory.length > 1) {
      L.polyline(
        twin.trajectory.map((point) => [point.lat, point.lon] as [number, number]),
        { color: colour, weight: 3, opacity: 0.8, renderer: this.renderer },
      ).addTo(this.selection);
    }
    for (const object of twin.perceivedObjects) {
      L.circleMarker([object.lat, object.lon], {
        radius: 4,
        color: "#333",
        weight: 1,
        fillColor: "#fff",
        fillOpacity: 1,
        renderer: this.renderer,
      })
        .bindTooltip(`object ${object.objectId}${object.classification ? ` (${object.classification})` : ""}`)
        .addTo(this.selection);
    }
    for (const hazard of twin.hazards) {
      if (hazard.position === undefined) continue;
      L.circleMarker([hazard.position.lat, hazard.position.lon], {
        radius: 9,
        color: "#c00",
        weight: 3,
        fill: false,
        renderer: this.renderer,
      })
        .bindTooltip(`hazard ${hazard.description ?? hazard.causeCode}`)
        .addTo(this.selection);
    }
    if (twin.position !== undefined) {
      L.circleMarker([twin.position.lat, twin.position.lon], {
        radius: 12,
        color: "#000",
        weight: 2,
        fill: false,
        renderer: this.renderer,
      }).addTo(this.selection);
    }
  }

  private styleOf(twin: TwinMarker): L.CircleMarkerOptions & { radius: number } {
    const rsu = twin.stationType === "roadSideUnit";
    const migrating = twin.status === "migrating";
    return {
      radius: (rsu ? 8 : 5) + (migrating ? 3 : 0),
      // RSUs: a dark ring; migrating twins: a thick amber ring.
      color: migrating ? MIGRATING : rsu ? "#111" : "#fff",
      weight: migrating ? 4 : rsu ? 3 : 1,
      fillColor: this.colourOf(twin.mec),
      fillOpacity: twin.liveness === "stale" ? 0.35 : 0.95,
    };
  }
}
