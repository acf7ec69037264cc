/** Files imported with `?url` become asset URLs (see webpack.config.cjs). */
declare module "*?url" {
  const url: string;
  export default url;
}
