/**
 * Closed driving loops through Aveiro (Portugal) that run through the city centre, so every
 * vehicle crosses the north/south border of the bundled topology twice per lap. Points follow
 * real streets roughly (station, Av. Dr. Lourenço Peixinho, the canals, the university,
 * Glicínias, Esgueira, the ring road); positions are [lon, lat] like GeoJSON.
 */
export interface Route {
  id: string;
  name: string;
  /** Closed loop: the last point connects back to the first. */
  points: [lon: number, lat: number][];
  /** Typical cruising speed, m/s. */
  cruiseSpeed: number;
}

export const AVEIRO_ROUTES: Route[] = [
  {
    id: "centro-universidade",
    name: "Station, Av. Lourenço Peixinho, canals, university, Glicínias",
    cruiseSpeed: 11, // 40 km/h
    points: [
      [-8.6397, 40.644],
      [-8.6465, 40.6428],
      [-8.6532, 40.6412],
      [-8.6545, 40.6395],
      [-8.6555, 40.635],
      [-8.6585, 40.631],
      [-8.65, 40.63],
      [-8.6405, 40.629],
      [-8.638, 40.636],
    ],
  },
  {
    id: "esgueira-santiago",
    name: "Esgueira, Forca, Av. Europa, Santiago and back through Sá-Barrocas",
    cruiseSpeed: 12.5, // 45 km/h
    points: [
      [-8.629, 40.6525],
      [-8.633, 40.647],
      [-8.636, 40.642],
      [-8.638, 40.636],
      [-8.6405, 40.629],
      [-8.645, 40.625],
      [-8.652, 40.627],
      [-8.648, 40.634],
      [-8.644, 40.642],
      [-8.64, 40.649],
      [-8.634, 40.654],
    ],
  },
  {
    id: "ring",
    name: "Ring road around the city",
    cruiseSpeed: 16.7, // 60 km/h
    points: [
      [-8.65, 40.656],
      [-8.635, 40.656],
      [-8.626, 40.647],
      [-8.628, 40.633],
      [-8.64, 40.622],
      [-8.658, 40.622],
      [-8.668, 40.634],
      [-8.664, 40.648],
    ],
  },
];

export interface RsuSite {
  id: string;
  name: string;
  lat: number;
  lon: number;
  /** How far its sensors perceive objects, metres. */
  rangeM: number;
}

/** Roadside units at busy junctions on the routes. */
export const AVEIRO_RSUS: RsuSite[] = [
  { id: "rsu-canal", name: "Praça Humberto Delgado", lat: 40.6412, lon: -8.6532, rangeM: 150 },
  { id: "rsu-station", name: "Aveiro station", lat: 40.644, lon: -8.6397, rangeM: 150 },
  { id: "rsu-glicinias", name: "Glicínias", lat: 40.629, lon: -8.6405, rangeM: 150 },
];
