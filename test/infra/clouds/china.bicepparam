// main.bicep as deployed to the china cloud: environment().suffixes.storage there is core.chinacloudapi.cn.
// Bicep cannot switch environment() at compile time, so test/infra/clouds.test.ts passes the
// suffix the cloud would give and checks the settings derived from it.
using '../../../infra/main.bicep'

param environmentName = 'cloudtest'
param graphClientId = '11111111-2222-3333-4444-555555555555'
param alertEmail = 'owner@example.com'
param sourceStorageAccountName = 'sourcedata'
param graphCloud = 'china'
param storageSuffix = 'core.chinacloudapi.cn'
