/** The OCI image-spec shapes Berth reads and writes (and their Docker v2 equivalents). */

/** OCI and Docker media types Berth understands. */
export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** A content descriptor: what a blob is, its digest and size. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** An image index (or Docker manifest list). */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

/** An image manifest. */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The image configuration (`config` member of the OCI image config), as Docker and ECS use it. */
export interface ImageRunConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  StopSignal?: string;
  Labels?: Record<string, string>;
}

/** The image configuration blob. */
export interface ImageConfigFile {
  created?: string;
  architecture?: string;
  os?: string;
  config?: ImageRunConfig;
  rootfs?: { type: string; diff_ids: string[] };
}

/** Whether a layer media type is gzip-compressed; throws for layer types Berth cannot unpack. */
export function layerCompression(mediaType: string): 'gzip' | 'none' {
  switch (mediaType) {
    case MediaTypes.ociLayerGzip:
    case MediaTypes.dockerLayerGzip:
      return 'gzip';
    case MediaTypes.ociLayer:
    case MediaTypes.dockerLayer:
      return 'none';
    default:
      throw new Error(`layer media type '${mediaType}' is not supported (Berth unpacks tar and tar+gzip layers)`);
  }
}

/** Whether a media type names an index (OCI index or Docker manifest list). */
export function isIndex(mediaType: string | undefined): boolean {
  return mediaType === MediaTypes.ociIndex || mediaType === MediaTypes.dockerManifestList;
}

/** The OCI architecture name of this machine (`amd64`, `arm64`, ...). */
export function hostArchitecture(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', s390x: 's390x', ppc64: 'ppc64le' } as Record<string, string>)[process.arch] ?? process.arch;
}
