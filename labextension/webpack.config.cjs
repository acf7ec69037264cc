// Extra webpack configuration merged into @jupyterlab/builder's: BokehJS's prebuilt bundles
// are shipped as files of the extension and loaded as scripts (they define the global `Bokeh`
// the panels draw with), instead of being re-bundled.
const { Compilation } = require("webpack");

/**
 * They are already minified, and must stay exactly as built: a second Terser pass renames the
 * model classes BokehJS registers by name, and then nothing draws. Assets marked `minimized`
 * are left alone by Terser.
 */
class KeepBokehAsIs {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap("KeepBokehAsIs", (compilation) => {
      compilation.hooks.processAssets.tap({ name: "KeepBokehAsIs", stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, (assets) => {
        for (const name of Object.keys(assets)) {
          if (name.startsWith("bokeh")) compilation.updateAsset(name, (source) => source, { minimized: true });
        }
      });
    });
  }
}

module.exports = {
  module: {
    rules: [{ resourceQuery: /url/, type: "asset/resource", generator: { filename: "bokeh[name].[contenthash][ext]" } }],
  },
  plugins: [new KeepBokehAsIs()],
};
